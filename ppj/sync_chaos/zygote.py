"""A fork server for tablet processes: ``python -m ppj.sync_chaos.zygote``.

Starting a Python process that imports the journal model, pydantic and httpx takes about a second, so a
SIGKILL planned at 0.4 s would mostly hit an import, not sync. The zygote imports the tablet code once and
forks a child per tablet life, so a tablet is writing and syncing within milliseconds of its start and a
kill lands in the work. A forked child is a separate process with its own store connection and sockets
(the zygote opens neither); the harness kills it by pid.

Line protocol (stdin → stdout): ``spawn <tag> <output file> <spec JSON>`` is answered ``pid <tag> <pid>``;
whenever a child ends, ``exit <pid> <code>`` (``-9`` after SIGKILL, as ``subprocess`` reports it). The
child's stdout and stderr go to ``<output file>``.
"""

from __future__ import annotations

import os
import select
import sys
import traceback

from ppj.sync_chaos.tablet import TabletSpec, run


def _child(out_path: str, spec_json: str) -> None:
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.close(0)
    code = 0
    try:
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        run(TabletSpec.from_json(spec_json))
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(f"exit {pid} {code}", flush=True)


def main() -> None:
    stdin = sys.stdin.fileno()
    buffer = b""
    while True:
        ready, _, _ = select.select([stdin], [], [], 0.01)
        if ready:
            chunk = os.read(stdin, 1 << 16)
            if not chunk:
                return  # the harness closed the pipe: it is done
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                _, tag, out_path, spec_json = line.decode().split(" ", 3)
                pid = os.fork()
                if pid == 0:
                    _child(out_path, spec_json)
                print(f"pid {tag} {pid}", flush=True)
        _reap()


if __name__ == "__main__":
    print("ready", flush=True)
    main()
