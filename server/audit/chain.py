"""The audit trail's hash chain, framework- and database-free.

Each event's hash is SHA-256 over the canonical JSON of its fields together with the previous event's hash
in the same partition. A partition is one writer's stream (one process thread, one UTC day), so appends
never contend; verification walks every partition independently.

Verification finds: an altered event (its hash no longer matches its fields), a removed event (a gap in seq,
or a ``prev_hash`` that is not the previous hash), and a truncated tail (the partition ends before an
anchor recorded earlier, or an anchored hash differs from the stored one).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The fields a hash covers, in no particular order (canonical JSON sorts keys). Adding a field here is a
# new chain format: old events would no longer verify, so it needs a versioned format, never an edit.
HASHED_FIELDS = (
    "id",
    "partition",
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "actor_role",
    "actor_authorisation_id",
    "actor_organisation_id",
    "device_id",
    "client_ip",
    "patient_cpr",
    "journal_id",
    "action",
    "outcome",
    "purpose",
    "channel",
)


def canonical_json(fields: Mapping[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same fields always give the same bytes."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def genesis_hash(partition: str) -> str:
    """The ``prev_hash`` of a partition's first event; binds the chain to its partition name."""
    return hashlib.sha256(b"ppj-audit-genesis\x00" + partition.encode("utf-8")).hexdigest()


def event_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    """Hash of one event: its hashed fields (already in JSON form) and its predecessor's hash."""
    missing = [name for name in HASHED_FIELDS if name not in fields]
    if missing:
        raise ValueError(f"audit event lacks hashed fields: {', '.join(missing)}")
    payload = {name: fields[name] for name in HASHED_FIELDS}
    payload["prev_hash"] = prev_hash
    return hashlib.sha256(canonical_json(payload)).hexdigest()


@dataclass(frozen=True)
class ChainedEvent:
    """An event as stored: its hashed fields (JSON-ready) plus seq, prev_hash and hash."""

    fields: Mapping[str, Any]
    seq: int
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Anchor:
    partition: str
    seq: int
    hash: str


@dataclass(frozen=True)
class Problem:
    """One finding of ``verify``: where (partition, seq) and what."""

    partition: str
    seq: int
    kind: str  # altered | missing | broken_link | truncated | anchor_mismatch
    detail: str


def verify_partition(
    partition: str, events: Sequence[ChainedEvent], anchors: Iterable[Anchor] = ()
) -> list[Problem]:
    """All problems in one partition; ``events`` must be ordered by seq."""
    problems: list[Problem] = []
    expected_seq = 1
    prev = genesis_hash(partition)
    stored_hash_by_seq: dict[int, str] = {}
    for event in events:
        if event.seq != expected_seq:
            problems.append(
                Problem(partition, expected_seq, "missing", f"events {expected_seq}..{event.seq - 1} absent")
            )
        elif event.prev_hash != prev:
            problems.append(
                Problem(partition, event.seq, "broken_link", "prev_hash is not the previous hash")
            )
        recomputed = event_hash(event.fields, event.prev_hash)
        if recomputed != event.hash:
            problems.append(
                Problem(partition, event.seq, "altered", "hash does not match the event's fields")
            )
        stored_hash_by_seq[event.seq] = event.hash
        expected_seq = event.seq + 1
        prev = event.hash
    last_seq = expected_seq - 1
    for anchor in anchors:
        if anchor.seq > last_seq:
            problems.append(
                Problem(
                    partition,
                    anchor.seq,
                    "truncated",
                    f"anchored up to {anchor.seq}, chain ends at {last_seq}",
                )
            )
        elif anchor.seq in stored_hash_by_seq and stored_hash_by_seq[anchor.seq] != anchor.hash:
            problems.append(
                Problem(partition, anchor.seq, "anchor_mismatch", "stored hash differs from anchor")
            )
    return problems
