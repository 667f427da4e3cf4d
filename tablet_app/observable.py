"""The change notification every view-model uses, without Kivy.

A screen subscribes once and re-reads the view-model's state on each call; listeners get no arguments
because re-reading everything is cheap and never misses a change.
"""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[], None]


class Observable:
    """Something whose state screens render; ``_changed()`` tells every subscriber to re-read it."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after every change; returns a function that unsubscribes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _changed(self) -> None:
        # Copy: a listener may unsubscribe (or subscribe another) while being notified.
        for listener in list(self._listeners):
            listener()
