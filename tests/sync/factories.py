"""Test entries for sync: opaque envelopes with canonical JSON content (sync never looks inside).

The patient is the published MedCom test person CPR 2509479989 (MedCom/NSP test data), never a real one.
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID, uuid4

from sync.crypto import KdfParams
from sync.journal_adapter import EntryEnvelope, Stamp
from sync.store import LocalStore

TEST_CPR = "2509479989"
DEVICE_SECRET = b"test-device-secret-0123456789abcdef"
# Argon2id at its cheapest: the tests check behaviour, not resistance to guessing.
TEST_KDF = KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
TEST_USER = "medic-1"
TEST_PIN = "1357"


def new_store(path: Path, device_id: UUID | None = None) -> LocalStore:
    """A new store at ``path``, unlocked by the test user with the test PIN and cheap key derivation."""
    return LocalStore.create(
        path=path,
        device_id=device_id or uuid4(),
        user_id=TEST_USER,
        secret=TEST_PIN,
        device_secret=DEVICE_SECRET,
        kdf=TEST_KDF,
    )


def canonical(content: dict[str, object]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def note(
    *, journal_id: UUID, text: str, hlc: str | None = None, entry_id: UUID | None = None, writer: str = "w1"
) -> EntryEnvelope:
    """A note entry; ``hlc`` defaults to a stamp at 2026-11-25 (within any server bound in tests)."""
    entry_id = entry_id or uuid4()
    content = canonical(
        {
            "entry_id": str(entry_id),
            "journal_id": str(journal_id),
            "kind": "note",
            "kind_version": 1,
            "payload": {"text": text},
        }
    )
    stamp = hlc or Stamp(1_795_000_000_000, 0, writer).encode()
    return EntryEnvelope.of(entry_id=entry_id, journal_id=journal_id, hlc=stamp, content=content)
