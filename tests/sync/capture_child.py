"""A child process for the kill -9 test: captures notes into a store as fast as it can and prints the
entry id of each capture after ``capture`` returned (an acknowledged save). Run as
``python -m tests.sync.capture_child STORE_PATH``; it runs until killed."""

from __future__ import annotations

import sys
from pathlib import Path
from uuid import UUID

from sync.store import LocalStore
from tests.sync.factories import DEVICE_SECRET, TEST_PIN, TEST_USER, note

JOURNAL = UUID("0196b4a0-0000-7000-8000-0000000000ab")


def main(path: Path) -> None:
    store = LocalStore.unlock(path=path, user_id=TEST_USER, secret=TEST_PIN, device_secret=DEVICE_SECRET)
    n = 0
    while True:
        entry = note(journal_id=JOURNAL, text=f"reading {n}", hlc=store.new_stamp())
        store.capture(envelope=entry)
        if n % 3 == 0:
            store.save_draft(draft_id="pad", journal_id=JOURNAL, text=f"typing {n}")
        sys.stdout.write(f"{entry.entry_id}\n")
        sys.stdout.flush()
        n += 1


if __name__ == "__main__":
    main(Path(sys.argv[1]))
