"""The harness's side of the zygote (``ppj.sync_chaos.zygote``): spawn a tablet, wait for it, kill it."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ppj.sync_chaos import TabletProcessError
from ppj.sync_chaos.tablet import TabletSpec


class Zygote:
    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "ppj.sync_chaos.zygote"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._stdin = self._proc.stdin
        self._stdout = self._proc.stdout
        if self._stdout.readline().strip() != b"ready":
            raise TabletProcessError("the tablet zygote did not start")
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

    def spawn(self, spec: TabletSpec, output: Path) -> int:
        """A forked tablet running ``spec``, its output going to ``output``; returns its pid."""
        tag = str(next(self._tags))
        with self._cond:
            self._stdin.write(f"spawn {tag} {output} {spec.to_json()}\n".encode())
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

    def kill(self, pid: int) -> int:
        """SIGKILL the tablet (unless it already ended) and return its exit code."""
        with self._cond:
            if pid not in self._exits:
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        code = self.wait(pid, timeout=max(0.0, deadline - time.monotonic()))
        if code is None:
            raise TabletProcessError(f"tablet {pid} survived SIGKILL for 30 s")
        return code

    def close(self) -> None:
        self._stdin.close()  # the zygote ends at end of input
        self._proc.wait(timeout=30)
        self._reader.join(timeout=30)
        self._stdout.close()
