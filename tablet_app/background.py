"""Work off the UI thread: saves, log-ins and sync never block the screen.

A view-model hands slow work (a network call, a password hash) to a ``BackgroundRunner`` with two
callbacks; the runner calls exactly one of them *on the UI thread* when the work ends. The app's runner
uses a thread pool and posts the callback through Kivy's clock; view-model tests use a runner that runs
the work inline, so they need neither threads nor Kivy.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol, TypeVar

T = TypeVar("T")
UiPoster = Callable[[Callable[[], None]], None]


class BackgroundRunner(Protocol):
    def submit(
        self,
        work: Callable[[], T],
        *,
        on_success: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        """Run ``work`` off the UI thread; then call ``on_success(result)`` or ``on_error(exc)`` on it."""


class ThreadRunner:
    """Runs work on a small thread pool; ``post`` delivers each callback to the UI thread."""

    def __init__(self, *, post: UiPoster, max_workers: int = 2) -> None:
        self._post = post
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ppj-bg")

    def submit(
        self,
        work: Callable[[], T],
        *,
        on_success: Callable[[T], None],
        on_error: Callable[[Exception], None],
    ) -> None:
        future = self._pool.submit(work)

        def finished(done: Future[T]) -> None:
            error = done.exception()
            if error is None:
                result = done.result()
                self._post(lambda: on_success(result))
            elif isinstance(error, Exception):
                self._post(lambda: on_error(error))
            else:  # KeyboardInterrupt/SystemExit: not ours to swallow
                raise error

        future.add_done_callback(finished)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
