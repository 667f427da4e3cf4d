"""The UI test driver inside the app: a local Unix socket taking one JSON command per line.

Enabled only by ``PPJ_TABLET_CONTROL=<socket path>`` (the socket file is created 0600). Each request is a
JSON object with ``cmd``; each answer is one JSON line ``{"ok": true, ...}`` or
``{"ok": false, "error": "..."}``. Commands run on Kivy's main thread, one at a time:

* ``{"cmd": "screen"}``                       -> ``{"screen": "<current screen name>"}``
* ``{"cmd": "tap", "id": ID}``                a simulated touch (down, then up) at the widget's centre,
                                              dispatched through Kivy's input pipeline like a finger
* ``{"cmd": "type", "id": ID, "text": T}``    focus a text input by tapping it, then insert ``T``
  (``"replace": true``: select what is there and type over it, as a person would)
* ``{"cmd": "text", "id": ID}``               -> ``{"text": "..."}`` (what the widget shows)
* ``{"cmd": "texts"}``                        -> ``{"texts": {ID: text, ...}}`` for the current screen
* ``{"cmd": "screenshot", "path": P}``        write the window to the PNG file ``P``
* ``{"cmd": "quit"}``                         stop the app

An ``ID`` is a kv ``id`` on the current screen, or a dynamic widget's ``control_id``.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.input.motionevent import MotionEvent
from kivy.uix.widget import Widget

from tablet_app.errors import ControlCommandError

_touch_ids = itertools.count(10_000)


class InjectedTouch(MotionEvent):  # type: ignore[misc]  # Kivy is untyped
    """A finger touch made by the driver, in window pixels."""

    def __init__(self, x: float, y: float) -> None:
        super().__init__(
            "ppj-control", next(_touch_ids), self._normalised(x, y), is_touch=True, type_id="touch"
        )
        self.profile = ["pos"]

    @staticmethod
    def _normalised(x: float, y: float) -> dict[str, float]:
        # Kivy scales a touch's 0..1 position by (size - 1): the inverse lands on the same pixel.
        width, height = Window.size
        return {"x": x / max(1, width - 1), "y": y / max(1, height - 1)}

    def depack(self, args: dict[str, float]) -> None:
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)


def find_widget(root: Widget, name: str) -> Widget:
    """The widget under ``root`` whose kv id or ``control_id`` is ``name``."""
    for widget in root.walk(restrict=True):
        if getattr(widget, "control_id", None) == name:
            return widget
        ids = getattr(widget, "ids", None)
        if ids and name in ids:
            found: Widget = ids[name]
            return found
    raise ControlCommandError(f"no widget {name!r} on screen {getattr(root, 'name', '?')!r}")


def _visible_texts(root: Widget) -> dict[str, str]:
    texts: dict[str, str] = {}
    for widget in root.walk(restrict=True):
        if getattr(widget, "control_id", None) and hasattr(widget, "text"):
            texts[widget.control_id] = widget.text
        for name, child in (getattr(widget, "ids", None) or {}).items():
            if hasattr(child, "text"):
                texts[name] = child.text
    return texts


class ControlServer:
    def __init__(self, *, app: Any, socket_path: Path) -> None:
        self._app = app
        self._path = socket_path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)

    def start(self) -> None:
        if self._path.exists():
            self._path.unlink()
        old_umask = os.umask(0o177)
        try:
            self._sock.bind(str(self._path))
        finally:
            os.umask(old_umask)
        self._sock.listen(1)
        threading.Thread(target=self._serve, name="ppj-control", daemon=True).start()

    def _serve(self) -> None:
        while True:
            conn, _addr = self._sock.accept()
            with conn, conn.makefile("rwb") as stream:
                for line in stream:
                    stream.write(json.dumps(self._answer(line)).encode() + b"\n")
                    stream.flush()

    def _answer(self, line: bytes) -> dict[str, Any]:
        """Parse on this thread, execute on Kivy's main thread, wait for the result."""
        done: Future[dict[str, Any]] = Future()

        def on_main_thread(_dt: float) -> None:
            try:
                request = json.loads(line)
                done.set_result({"ok": True, **self._execute(request)})
            except Exception as exc:  # the driver reports every failure to the test, never crashes the app
                done.set_result({"ok": False, "error": f"{type(exc).__name__}: {exc}"})

        Clock.schedule_once(on_main_thread, 0)
        return done.result(timeout=30)

    def _execute(self, request: dict[str, Any]) -> dict[str, Any]:
        cmd = request.get("cmd")
        screen = self._app.manager.current_screen
        if cmd == "screen":
            return {"screen": self._app.manager.current}
        if cmd == "tap":
            self._tap(find_widget(screen, str(request["id"])))
            return {}
        if cmd == "type":
            widget = find_widget(screen, str(request["id"]))
            self._tap(widget)
            if request.get("replace"):
                widget.select_all()
                widget.delete_selection()
            widget.insert_text(str(request["text"]))
            return {}
        if cmd == "text":
            return {"text": find_widget(screen, str(request["id"])).text}
        if cmd == "texts":
            return {"texts": _visible_texts(screen)}
        if cmd == "screenshot":
            path = Path(str(request["path"]))
            path.parent.mkdir(parents=True, exist_ok=True)
            # Kivy's screenshot() inserts a counter into the name; move the file to the name asked for.
            written = Window.screenshot(name=str(path.with_name(path.stem + "-kivy.png")))
            if not written:
                raise ControlCommandError("the window could not be captured")
            os.replace(written, path)
            return {"path": str(path)}
        if cmd == "quit":
            Clock.schedule_once(lambda _dt: self._app.stop(), 0.1)
            return {}
        raise ControlCommandError(f"unknown command {cmd!r}")

    @staticmethod
    def _tap(widget: Widget) -> None:
        if widget.disabled or widget.get_root_window() is None:
            raise ControlCommandError(f"widget {widget!r} is disabled or not shown")
        x, y = widget.to_window(*widget.center)
        touch = InjectedTouch(x, y)
        EventLoop.post_dispatch_input("begin", touch)
        EventLoop.post_dispatch_input("end", touch)
