"""The thread runner delivers results through the UI poster; drafts live sealed in the encrypted store."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from sync.store import StoreDrafts
from tablet_app.background import ThreadRunner
from tablet_app.viewmodels.numeric_entry import NumericEntryViewModel
from tablet_app.viewmodels.vital_fields import VITAL_FIELDS_BY_ID
from tests.tablet_app.documenting import keyring, tablet


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


def test_a_pad_draft_survives_a_restart_sealed_in_the_store_and_the_file_never_holds_it(
    tmp_path: Path,
) -> None:
    t = tablet(tmp_path)
    assert t.keyring.store is not None
    pad = NumericEntryViewModel(
        spec=VITAL_FIELDS_BY_ID["heart_rate"],
        drafts=StoreDrafts(t.keyring.store),
        draft_scope="journal-x",
        on_accept=lambda _result: None,
    )
    for key in "147":
        pad.press(key)
    t.keyring.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("store.sqlite"))
    # Hazard H-TAB-5: no draft in clear on disk. The check looks for the draft's own plaintext, not a bare
    # "147": three digits turn up by chance in ciphertext and in plaintext timestamps (microseconds).
    draft_plaintext = json.dumps({"entry": "147", "not_measurable": False}).encode()
    assert b'"entry": "147"' in draft_plaintext
    assert draft_plaintext not in raw and b'"147"' not in raw

    reopened = keyring(tmp_path)
    reopened.open_offline(username="demo", password=t.password)
    assert reopened.store is not None
    again = NumericEntryViewModel(
        spec=VITAL_FIELDS_BY_ID["heart_rate"],
        drafts=StoreDrafts(reopened.store),
        draft_scope="journal-x",
        on_accept=lambda _result: None,
    )
    assert again.entry == "147"
