"""The harness's side of a zygote (``ppj.sync_chaos.zygote``): spawn a tablet or a server process, wait
for it, signal it."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from ppj.sync_chaos import TabletProcessError


class Zygote:
    """A warm ``kind`` zygote (``tablet``, ``ppj-server``, ``reference-server``). ``env`` and ``cwd`` are
    its children's too (a server's database URL; the source tree for the reference server)."""

    def __init__(
        self, kind: str = "tablet", *, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "ppj.sync_chaos.zygote", kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=None if env is None else dict(env),
            cwd=cwd,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._stdin = self._proc.stdin
        self._stdout = self._proc.stdout
        if self._stdout.readline().strip() != b"ready":
            raise TabletProcessError(f"the {kind} zygote did not start")
        self._cond = threading.Condition()
        self._pids: dict[str, int] = {}
        self._exits: dict[int, int] = {}
        self._tags = itertools.count()
        self._reader = threading.Thread(target=self._read, name="chaos-zygote", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for raw in self._stdout:
            kind, key, value = raw.decode().split()
            with self._cond:
                if kind == "pid":
                    self._pids[key] = int(value)
                else:
                    self._exits[int(key)] = int(value)
                self._cond.notify_all()

    def spawn(self, spec_json: str, output: Path) -> int:
        """A forked child running ``spec_json`` (one line of JSON), its output appended to ``output``;
        returns its pid."""
        tag = str(next(self._tags))
        with self._cond:
            self._stdin.write(f"spawn {tag} {output} {spec_json}\n".encode())
            self._stdin.flush()
            if not self._cond.wait_for(lambda: tag in self._pids, timeout=30):
                raise TabletProcessError("the zygote did not fork a tablet within 30 s")
            return self._pids.pop(tag)

    def wait(self, pid: int, timeout: float) -> int | None:
        """The tablet's exit code (``-9`` after SIGKILL), or None if it still runs after ``timeout`` s."""
        with self._cond:
            if self._cond.wait_for(lambda: pid in self._exits, timeout=timeout):
                return self._exits.pop(pid)
            return None

    def exited(self, pid: int) -> bool:
        """Whether the child has ended (its exit code stays for ``wait``)."""
        with self._cond:
            return pid in self._exits

    def kill(self, pid: int, sig: signal.Signals = signal.SIGKILL) -> int:
        """Send ``sig`` to the child (unless it already ended); return its exit code once it ended."""
        with self._cond:
            if pid not in self._exits:
                self._stdin.write(f"signal {pid} {int(sig)}\n".encode())
                self._stdin.flush()
        code = self.wait(pid, timeout=30)
        if code is None:
            raise TabletProcessError(f"process {pid} survived {sig.name} for 30 s")
        return code

    def close(self) -> None:
        self._stdin.close()  # the zygote ends at end of input
        self._proc.wait(timeout=30)
        self._reader.join(timeout=30)
        self._stdout.close()
