"""kill -9 of a process capturing into the store: every acknowledged save survives, the queue stays
whole, and the store opens again (the durability check SQLite's own crash tests make, at process level)."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import pytest

from sync.store import LocalStore
from tests.sync.factories import DEVICE_SECRET, TEST_PIN, TEST_USER

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_acknowledged_capture_survives_a_kill_9(store: LocalStore, seed: int) -> None:
    store.close()
    acknowledged: list[UUID] = []
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.sync.capture_child", str(store.path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    kill_after = random.Random(seed).randint(5, 60)
    for line in child.stdout:
        acknowledged.append(UUID(line.strip()))
        if len(acknowledged) >= kill_after:
            child.send_signal(signal.SIGKILL)  # mid-write: the child never stops capturing
            break
    child.wait(timeout=30)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reopened = LocalStore.unlock(
        path=store.path, user_id=TEST_USER, secret=TEST_PIN, device_secret=DEVICE_SECRET
    )
    held = reopened.entry_ids()
    assert set(acknowledged) <= held
    queued = reopened.next_batch(max_entries=10**6, max_bytes=10**9)
    assert [q.device_seq for q in queued] == list(range(1, len(held) + 1))  # no gap, no loss, no double
    assert [q.envelope.entry_id for q in queued][: len(acknowledged)] == acknowledged
    draft = reopened.draft("pad")
    assert draft is not None and draft.startswith("typing")
    reopened.close()
