"""The fold: journal state as a pure function of its entries (ARCHITECTURE §3) — it is also the merge.

Rules:

* Entries are deduplicated by ``entry_id`` (same content again is a no-op; different content under one id
  raises ``ConflictingEntryError``). The result never depends on the order entries arrive in.
* Every entry belongs to a *slot*: single-valued kinds to their fact key (``('destination',)``,
  ``('timestamp', 'on_scene', '<unit>')``), multi-valued kinds to an item of their own, corrections and
  retractions to the slot of the entry they supersede (following chains).
* In a slot, an entry is superseded when another entry of the slot names it in ``based_on`` or
  ``supersedes``. The current values are the rest. More than one differing current value is a conflict;
  nothing is dropped: superseded revisions stay in ``struck`` with who/when/why.
* Timeline and measurement order is clinical time, then HLC, then entry id (deterministic ties). HLC orders
  only edits of one fact (``current`` revisions are listed in HLC order) and signing.
* A correction or retraction whose target is not among the entries is kept in ``pending_amendments``.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from journal.entry import CLINICAL_ROLES, Entry
from journal.errors import ConflictingEntryError
from journal.hlc import Hlc
from journal.kinds.patient import SamePatientLink
from journal.kinds.record import Correction, Signature
from journal.payload import Payload
from journal.state import Fact, JournalState, Revision, SigningState, Struck, TimelineItem

SlotKey = tuple[str, ...]


def dedupe(entries: Iterable[Entry]) -> dict[UUID, Entry]:
    """Entries by id; a repeat with equal content is dropped (of a re-stamped pair, the lower HLC stays)."""
    by_id: dict[UUID, Entry] = {}
    for e in entries:
        prev = by_id.get(e.entry_id)
        if prev is None:
            by_id[e.entry_id] = e
        elif prev is not e and prev != e:
            if prev.content_hash() != e.content_hash():
                raise ConflictingEntryError(e.entry_id)
            if e.hlc < prev.hlc:
                by_id[e.entry_id] = e
    return by_id


def _value_of(e: Entry) -> Payload | None:
    p = e.payload
    if p.CARDINALITY != "amendment":
        return p
    return p.replacement if isinstance(p, Correction) else None


def _order(e: Entry) -> tuple[Hlc, UUID]:
    return (e.hlc, e.entry_id)


def _assign_slots(by_id: dict[UUID, Entry], anomalies: list[str]) -> tuple[dict[UUID, SlotKey], list[Entry]]:
    slot_of: dict[UUID, SlotKey] = {}
    amendments: list[Entry] = []
    for e in by_id.values():
        card = e.payload.CARDINALITY
        if card == "single":
            slot_of[e.entry_id] = e.payload.fact_key(unit=e.unit)
        elif card == "multi":
            slot_of[e.entry_id] = ("item", e.kind, str(e.entry_id))
        else:
            amendments.append(e)

    pending: list[Entry] = []

    def resolve(a: Entry, seen: frozenset[UUID]) -> SlotKey | None:
        known = slot_of.get(a.entry_id)
        if known is not None:
            return known
        target = a.supersedes[0]
        if target in seen:
            return None  # a cycle cannot arise causally; treat as unresolved rather than loop
        if target in slot_of:
            slot = slot_of[target]
        elif target in by_id and by_id[target].payload.CARDINALITY == "amendment":
            found = resolve(by_id[target], seen | {a.entry_id})
            if found is None:
                return None
            slot = found
        else:
            return None
        slot_of[a.entry_id] = slot
        for other in a.supersedes[1:]:
            other_slot = slot_of.get(other)
            if other_slot is not None and other_slot != slot:
                anomalies.append(f"{a.kind} {a.entry_id} supersedes entries of different facts")
        return slot

    for a in sorted(amendments, key=_order):
        if resolve(a, frozenset()) is None:
            pending.append(a)
    return slot_of, pending


def _fact(key: SlotKey, members: list[Entry], anomalies: list[str]) -> Fact:
    if len(members) == 1:  # the common case (most items are never amended): no graph to walk
        e = members[0]
        kind = key[1] if key[0] == "item" else key[0]
        return Fact(key, kind, (Revision(e, _value_of(e)),), (), False)
    ids = {m.entry_id for m in members}
    struck_by: dict[UUID, list[Entry]] = {}
    for m in members:
        for t in m.based_on + m.supersedes:
            if t in ids:
                struck_by.setdefault(t, []).append(m)
    members.sort(key=_order)
    current = [m for m in members if m.entry_id not in struck_by]
    if not current:
        anomalies.append(f"every value of {key} supersedes another; showing all as current")
        current = list(members)
    kind = key[1] if key[0] == "item" else key[0]
    original = next((m for m in members if m.payload.CARDINALITY != "amendment"), None)
    if original is not None:
        kind = original.kind
    revisions = tuple(Revision(m, _value_of(m)) for m in current)
    first = revisions[0].value
    conflict = any(r.value != first for r in revisions[1:])
    struck = tuple(
        Struck(Revision(m, _value_of(m)), tuple(sorted(struck_by[m.entry_id], key=_order)))
        for m in members
        if m.entry_id in struck_by
    )
    return Fact(key, kind, revisions, struck, conflict)


def _signing(by_id: dict[UUID, Entry], slot_of: dict[UUID, SlotKey]) -> SigningState:
    """Walk the entries in HLC order: the journal closes at the first stamp where a disposition exists and
    every clinical author has signed all of their entries so far; later entries are addenda."""
    signed: dict[str, Hlc] = {}
    latest: dict[str, Hlc] = {}
    unsigned: set[str] = set()
    has_disposition = False
    closed_at: Hlc | None = None
    for e in sorted(by_id.values(), key=_order):
        pid = e.author.person_id
        clinical = e.author.role in CLINICAL_ROLES
        p = e.payload
        if isinstance(p, Signature):
            if clinical:
                up_to = min(p.up_to, e.hlc)  # a signature cannot attest entries written after it
                if pid not in signed or up_to > signed[pid]:
                    signed[pid] = up_to
                if pid in latest and latest[pid] <= signed[pid]:
                    unsigned.discard(pid)
        else:
            if slot_of.get(e.entry_id, ())[:1] == ("disposition",):
                has_disposition = True
            if clinical:
                latest[pid] = e.hlc
                if pid not in signed or e.hlc > signed[pid]:
                    unsigned.add(pid)
        if closed_at is None and has_disposition and latest and not unsigned:
            closed_at = e.hlc
    addenda = frozenset(i for i, e in by_id.items() if closed_at is not None and e.hlc > closed_at)
    still_unsigned = tuple(sorted(p for p, h in latest.items() if p not in signed or h > signed[p]))
    return SigningState(signed, still_unsigned, closed_at, addenda)


def fold(entries: Iterable[Entry]) -> JournalState:
    """The state of one journal (or of linked journals, given all their entries) — pure and order-free."""
    by_id = dedupe(entries)
    anomalies: list[str] = []
    slot_of, pending = _assign_slots(by_id, anomalies)

    slots: dict[SlotKey, list[Entry]] = {}
    for entry_id, slot in slot_of.items():
        slots.setdefault(slot, []).append(by_id[entry_id])

    facts: dict[SlotKey, Fact] = {}
    items: dict[str, list[Fact]] = {}
    timeline: list[TimelineItem] = []
    conflicts: list[Fact] = []
    for key, members in slots.items():
        f = _fact(key, members, anomalies)
        if key[0] == "item":
            items.setdefault(f.kind, []).append(f)
        else:
            facts[key] = f
        if f.conflict:
            conflicts.append(f)
        for r in f.current:
            if r.value is not None:
                timeline.append(TimelineItem(r.time, r.entry.clinical_time.estimated, f, r))

    def item_order(f: Fact) -> tuple[object, ...]:
        r = f.current[0]
        return (f.time, r.entry.hlc, r.entry.entry_id)

    timeline.sort(key=lambda t: (t.time, t.revision.entry.hlc, t.revision.entry.entry_id))
    conflicts.sort(key=lambda f: f.key)
    return JournalState(
        journal_ids=frozenset(e.journal_id for e in by_id.values()),
        entries=by_id,
        facts=facts,
        items={k: tuple(sorted(v, key=item_order)) for k, v in items.items()},
        timeline=tuple(timeline),
        conflicts=tuple(conflicts),
        pending_amendments=tuple(sorted(pending, key=_order)),
        signing=_signing(by_id, slot_of),
        anomalies=tuple(sorted(set(anomalies))),
    )


def linked_groups(entries: Iterable[Entry]) -> list[list[Entry]]:
    """Entries grouped by patient: journals joined by same-patient links that no retraction withdrew."""
    by_id = dedupe(entries)
    withdrawn = {t for e in by_id.values() if e.kind == "retraction" for t in e.supersedes}
    parent: dict[UUID, UUID] = {}

    def find(x: UUID) -> UUID:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in by_id.values():
        find(e.journal_id)
        if isinstance(e.payload, SamePatientLink) and e.entry_id not in withdrawn:
            a, b = find(e.journal_id), find(e.payload.other_journal_id)
            if a != b:
                parent[max(a, b)] = min(a, b)  # the smaller id is the root: deterministic
    groups: dict[UUID, list[Entry]] = {}
    for e in by_id.values():
        groups.setdefault(find(e.journal_id), []).append(e)
    return [groups[k] for k in sorted(groups)]


def fold_linked(entries: Iterable[Entry]) -> list[JournalState]:
    """One state per patient over entries of several journals: linked journals fold as one."""
    return [fold(group) for group in linked_groups(entries)]
