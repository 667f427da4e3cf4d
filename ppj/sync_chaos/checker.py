"""The checker: after the faults stop and every surviving device has synced once more, compare every
device store with the server.

Definitions (docs/sync/chaos.md says why):

* **must survive** — every entry that is on a surviving device store at the end; every capture a tablet
  acknowledged (printed after ``capture`` returned); every entry on a wiped store (a reinstalled tablet)
  that the server had confirmed before the wipe. Captures still pending in a wiped store are lost with
  the device by definition: they are counted as ``wiped_unsent`` and reported, not as lost.
* **lost** — a must-survive entry that is neither among the server's journal entries nor in its
  quarantine (a quarantined entry is visibly kept, not lost).
* **duplicated** — an entry id listed twice in a journal's commit log, or one logical entry (the same note
  text: every note the harness writes is unique) stored under two ids, as a retry that re-created an entry
  would do.
* **converged** — a device that finished its final sync holds, for every journal it may see, exactly the
  server's state: equal ``state_hash``.

``state_hash`` is canonical: SHA-256 over the entries' ``id stamp content-hash`` lines in HLC order, then
the fold's timeline (entry ids in clinical order) and its count of conflicts. ``journal.fold`` refuses two
contents under one id, so a device holding such a pair cannot hash equal to anything.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from journal.fold import fold
from journal.kinds.record import Note
from ppj.sync_chaos.backend import ServerContents
from ppj.sync_chaos.tablet import entry_of
from sync.journal_adapter import EntryEnvelope


def state_hash(entries: Iterable[EntryEnvelope]) -> str:
    """The canonical hash of one journal's state as held by one party (see the module docstring)."""
    held = sorted(entries, key=lambda e: (e.hlc, str(e.entry_id)))
    state = fold(entry_of(e) for e in held)
    digest = hashlib.sha256()
    for e in held:
        digest.update(f"{e.entry_id} {e.hlc} {e.content_hash}\n".encode())
    digest.update(("timeline " + ",".join(str(t.revision.entry.entry_id) for t in state.timeline)).encode())
    digest.update(f"\nconflicts {len(state.conflicts)}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class DeviceOutcome:
    """One device at the end of a run, as read from its store file."""

    label: str
    finished_final_sync: bool
    journals: Mapping[UUID, list[EntryEnvelope]]  # every journal it may see → the entries it holds
    held: frozenset[UUID]  # every entry id in its store


@dataclass
class CheckResult:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    diverged: list[str] = field(default_factory=list)
    wiped_unsent: int = 0

    @property
    def converged(self) -> bool:
        return not self.diverged

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.diverged)

    def details(self) -> str:
        return "\n".join(
            [f"  LOST {x}" for x in self.lost]
            + [f"  DUPLICATED {x}" for x in self.duplicated]
            + [f"  DIVERGED {x}" for x in self.diverged]
        )


def check(
    *,
    server: ServerContents,
    devices: list[DeviceOutcome],
    must_survive: Mapping[UUID, str],
    wiped_unsent: int,
) -> CheckResult:
    result = CheckResult(wiped_unsent=wiped_unsent)
    on_server = server.entries.keys() | server.quarantined.keys()
    survivors = dict(must_survive)
    for device in devices:
        for entry_id in device.held:
            survivors.setdefault(entry_id, f"held by {device.label}")
    for entry_id, where in sorted(survivors.items(), key=lambda kv: str(kv[0])):
        if entry_id not in on_server:
            result.lost.append(f"{entry_id} ({where})")
    for journal_id, log in server.logs.items():
        for entry_id, n in Counter(log).items():
            if n > 1:
                result.duplicated.append(f"{entry_id} listed {n} times in journal {journal_id}")
    texts = Counter(_note_text(e) for e in server.entries.values())
    for text, n in texts.items():
        if text is not None and n > 1:
            result.duplicated.append(f"note {text!r} stored under {n} ids")
    server_hashes: dict[UUID, str] = {}
    for device in devices:
        if not device.finished_final_sync:
            result.diverged.append(f"{device.label}: did not finish its final sync")
            continue
        for journal_id, held in device.journals.items():
            if journal_id not in server_hashes:
                server_hashes[journal_id] = state_hash(server.journal_entries(journal_id))
            mine = state_hash(held)
            if mine != server_hashes[journal_id]:
                ids = {e.entry_id for e in held}
                theirs = {e.entry_id for e in server.journal_entries(journal_id)}
                server_hash = server_hashes[journal_id]
                result.diverged.append(
                    f"{device.label}: journal {journal_id} hash {mine[:12]} != server {server_hash[:12]}"
                    f" (device lacks {len(theirs - ids)}, has {len(ids - theirs)} the server lacks)"
                )
    return result


def _note_text(envelope: EntryEnvelope) -> str | None:
    payload = entry_of(envelope).payload
    return payload.text if isinstance(payload, Note) else None
