"""Start the real tablet app under a private Xvfb screen and talk to its control socket.

Used by the UI tests (``tests/tablet_app/ui``) and ``ppj bench tablet``. No Kivy is imported here: the
app runs in a subprocess (``python -m ppj tablet …``) with its own ``PPJ_TABLET_HOME`` and ``KIVY_HOME``
in a scratch directory, Kivy's console log silenced, on a display of its own.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tablet_app.options import DEMO_LOGIN_MARKER, FIRST_FRAME_MARKER


class HarnessError(RuntimeError):
    """The virtual screen or the app did not start, or the app answered a command with an error."""


class VirtualScreen:
    """An Xvfb server on a free display number (``-displayfd``), stopped by ``close``."""

    def __init__(self, *, width: int = 1920, height: int = 1200) -> None:
        executable = shutil.which("Xvfb")
        if executable is None:
            raise HarnessError("Xvfb is not installed (Debian package xvfb; scripts/system-deps installs it)")
        read_fd, write_fd = os.pipe()
        self._process = subprocess.Popen(
            [
                executable,
                "-displayfd",
                str(write_fd),
                "-screen",
                "0",
                f"{width}x{height}x24",
                "-nolisten",
                "tcp",
            ],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            ready, _, _ = select.select([pipe], [], [], 15)
            number = pipe.readline().strip() if ready else ""
        if not number.isdigit():
            self.close()
            raise HarnessError("Xvfb did not report a display number within 15 s")
        self.display = f":{number}"

    def close(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def app_environment(
    *, display: str, home: Path, control_socket: Path | None, extra: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """The app's environment: ours, plus its display and scratch home; ``extra`` sets (or, None, removes)."""
    env = dict(os.environ)
    env.update(
        DISPLAY=display,
        PPJ_TABLET_HOME=str(home),
        KIVY_HOME=str(home / "kivy"),
        KIVY_NO_CONSOLELOG="1",
        KIVY_NO_FILELOG="1",
        PPJ_TABLET_REPORT_FIRST_FRAME="1",
    )
    env.pop("WAYLAND_DISPLAY", None)
    if control_socket is not None:
        env["PPJ_TABLET_CONTROL"] = str(control_socket)
    for name, value in (extra or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


class RunningTablet:
    """The app in a subprocess; ``command`` sends one control command and returns the answer."""

    def __init__(
        self,
        *,
        screen: VirtualScreen,
        home: Path,
        args: Sequence[str],
        start_timeout: float = 60,
        extra_env: Mapping[str, str | None] | None = None,
    ) -> None:
        self.home = home
        self.socket_path = home / "control.sock"
        home.mkdir(parents=True, exist_ok=True)
        self.stderr_path = home / "stderr.log"
        self._stderr = self.stderr_path.open("w", encoding="utf-8")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ppj", "tablet", *args],
            env=app_environment(
                display=screen.display, home=home, control_socket=self.socket_path, extra=extra_env
            ),
            stdout=subprocess.PIPE,
            stderr=self._stderr,  # a file, never a pipe nobody reads (that could block the app)
            text=True,
        )
        self.demo_passwords: dict[str, str] = {}  # from the app's PPJ-DEMO-LOGIN lines (``--demo``)
        self.first_frame_after_s = self._wait_for_first_frame(start_timeout)
        self._conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._conn.connect(str(self.socket_path))
        self._stream = self._conn.makefile("rw", encoding="utf-8")

    def _wait_for_first_frame(self, timeout: float) -> float:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline()
                if line.startswith(FIRST_FRAME_MARKER):
                    return time.monotonic() - self.started
                if line.startswith(DEMO_LOGIN_MARKER):
                    fields = dict(part.split("=", 1) for part in line.split()[1:])
                    self.demo_passwords[fields["user"]] = fields["password"]
                if not line and self.process.poll() is not None:
                    break
        self.close()
        stderr = self.stderr_path.read_text(encoding="utf-8", errors="replace")
        raise HarnessError(f"the app showed no first frame within {timeout:.0f} s; stderr:\n{stderr[-4000:]}")

    def command(self, cmd: str, **params: Any) -> dict[str, Any]:
        self._stream.write(json.dumps({"cmd": cmd, **params}) + "\n")
        self._stream.flush()
        line = self._stream.readline()
        if not line:
            raise HarnessError(f"the app closed the control socket during {cmd!r}")
        answer: dict[str, Any] = json.loads(line)
        if not answer.get("ok"):
            raise HarnessError(f"{cmd} {params}: {answer.get('error')}")
        return answer

    def tap(self, widget_id: str) -> None:
        self.command("tap", id=widget_id)

    def text(self, widget_id: str) -> str:
        return str(self.command("text", id=widget_id)["text"])

    def screen(self) -> str:
        return str(self.command("screen")["screen"])

    def wait_for_screen(self, name: str, *, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while self.screen() != name:
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"screen {name!r} did not appear within {timeout:.0f} s (on {self.screen()!r})"
                )
            time.sleep(0.1)

    def screenshot(self, path: Path) -> Path:
        self.command("screenshot", path=str(path))
        return path

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                if hasattr(self, "_stream"):
                    self.command("quit")
                self.process.wait(timeout=10)
            except (HarnessError, OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        if hasattr(self, "_conn"):
            self._conn.close()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
