"""The thread runner delivers results through the UI poster; the plain-file draft store survives a restart."""

from __future__ import annotations

import queue
import stat
import threading
from collections.abc import Callable
from pathlib import Path

from tablet_app.background import ThreadRunner
from tablet_app.viewmodels.drafts import PlainFileDraftStore


def test_work_runs_off_the_calling_thread_and_callbacks_arrive_through_the_poster() -> None:
    posted: queue.Queue[Callable[[], None]] = queue.Queue()
    runner = ThreadRunner(post=posted.put)
    results: list[object] = []
    caller = threading.get_ident()

    def boom() -> int:
        raise ValueError("server said no")

    runner.submit(lambda: threading.get_ident(), on_success=results.append, on_error=results.append)
    runner.submit(boom, on_success=results.append, on_error=results.append)
    runner.shutdown()
    assert results == []  # nothing ran on the worker thread's side of the fence
    while not posted.empty():
        posted.get()()
    worker_ids = [r for r in results if isinstance(r, int)]
    errors = [r for r in results if isinstance(r, ValueError)]
    assert worker_ids and worker_ids[0] != caller
    assert [str(e) for e in errors] == ["server said no"]


def test_plain_file_drafts_survive_a_new_store_instance_and_are_private(tmp_path: Path) -> None:
    first = PlainFileDraftStore(tmp_path / "drafts")
    first.put("numeric:vitals-pad:heart_rate", '{"entry": "88"}')
    second = PlainFileDraftStore(tmp_path / "drafts")
    assert second.get("numeric:vitals-pad:heart_rate") == '{"entry": "88"}'
    (file,) = (tmp_path / "drafts").iterdir()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    second.delete("numeric:vitals-pad:heart_rate")
    second.delete("numeric:vitals-pad:heart_rate")
    assert first.get("numeric:vitals-pad:heart_rate") is None
