"""A fork server: ``python -m ppj.sync_chaos.zygote KIND``, KIND one of ``tablet``, ``ppj-server``,
``reference-server``.

Starting a Python process that imports the journal model, pydantic and httpx takes about a second, and
one that imports the whole server (FastAPI, SQLAlchemy, every route) three to six, more on a loaded
machine. So a SIGKILL planned at 0.4 s would mostly hit an import, and every planned server restart would
cost the run seconds of nothing but imports (session 1 measured 4.4–6.4 s per restart, most of a run's
wall time). The zygote imports the code once and forks a child per tablet life or per server process: a
tablet is writing and syncing within milliseconds, a restarted server runs ``ppj serve``'s own start
(``ppj.cli.run_server``: settings, app, database check, uvicorn) within a fraction of a second. Nothing is
opened before the fork — no database connection, socket, thread or event loop — so each child is a
separate process with its own connections, and the harness kills it by pid (SIGKILL or SIGTERM) like any
other.

Line protocol (stdin → stdout): ``spawn <tag> <output file> <spec JSON>`` is answered ``pid <tag> <pid>``;
whenever a child ends, ``exit <pid> <code>`` (``-9`` after SIGKILL, as ``subprocess`` reports it). The
child's stdout and stderr go to ``<output file>``. ``signal <pid> <number>`` signals a child — sent here
and not by the harness because only the zygote knows, without a race, that the pid is still its child and
not yet reaped (a reaped pid may already name another process on the machine); a child that already
ended is left alone (its ``exit`` line is on the way).
"""

from __future__ import annotations

import json
import os
import select
import sys
import traceback
from collections.abc import Callable

KINDS = ("tablet", "ppj-server", "reference-server")


def _tablet() -> Callable[[str], None]:
    from ppj.sync_chaos.tablet import TabletSpec, run

    return lambda spec: run(TabletSpec.from_json(spec))


def _ppj_server() -> Callable[[str], None]:
    """``ppj serve --port P``; the database and secrets come from the zygote's environment. The imports
    are the ones ``run_server`` and uvicorn make at start (uvicorn loads its protocol modules lazily)."""
    import uvicorn.lifespan.on
    import uvicorn.loops.auto
    import uvicorn.protocols.http.auto
    import uvicorn.protocols.websockets.auto

    import server.app
    import server.migrate
    from ppj.cli import run_server

    del uvicorn, server

    def serve(spec: str) -> None:
        run_server(host="127.0.0.1", port=int(json.loads(spec)["port"]), demo=False)

    return serve


def _reference_server() -> Callable[[str], None]:
    """The reference server (``tests/sync/fake_server_http.py``; the zygote runs in the source tree)."""
    from pathlib import Path

    from tests.sync.fake_server_http import serve

    def run(spec: str) -> None:
        args = json.loads(spec)
        serve(port=int(args["port"]), state_path=Path(args["state"]), bug=args.get("bug"))

    return run


def _child(out_path: str, spec_json: str, target: Callable[[str], None]) -> None:
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.close(0)
    code = 0
    try:
        sys.stdout = os.fdopen(1, "w", buffering=1)
        sys.stderr = os.fdopen(2, "w", buffering=1)
        target(spec_json)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main(target: Callable[[str], None]) -> None:
    stdin = sys.stdin.fileno()
    buffer = b""
    children: set[int] = set()
    while True:
        ready, _, _ = select.select([stdin], [], [], 0.01)
        if ready:
            chunk = os.read(stdin, 1 << 16)
            if not chunk:
                return  # the harness closed the pipe: it is done
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                command, rest = line.decode().split(" ", 1)
                if command == "signal":
                    pid_text, number = rest.split()
                    if int(pid_text) in children:  # not reaped yet, so the pid is still this child's
                        os.kill(int(pid_text), int(number))
                    continue
                tag, out_path, spec_json = rest.split(" ", 2)
                pid = os.fork()
                if pid == 0:
                    _child(out_path, spec_json, target)
                children.add(pid)
                print(f"pid {tag} {pid}", flush=True)
        children -= _reap()


def _reap() -> set[int]:
    """Collect every child that ended, report it, and return their pids."""
    ended: set[int] = set()
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(f"exit {pid} {code}", flush=True)
        ended.add(pid)


if __name__ == "__main__":
    kind = sys.argv[1]
    loaders = {"tablet": _tablet, "ppj-server": _ppj_server, "reference-server": _reference_server}
    loaded = loaders[kind]()
    print("ready", flush=True)
    main(loaded)
