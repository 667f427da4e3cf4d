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

from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime
from operator import attrgetter, itemgetter
from uuid import UUID

from journal.entry import Entry
from journal.errors import ConflictingEntryError
from journal.gc_pause import cycle_collection_paused
from journal.hlc import Hlc
from journal.kinds.patient import SamePatientLink
from journal.kinds.record import Correction, Signature
from journal.payload import Payload
from journal.state import Fact, JournalState, Revision, SigningState, Struck, TimelineItem

SlotKey = tuple[str, ...]
_BY_ORDER = attrgetter("order_key")
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)


def dedupe(entries: Iterable[Entry]) -> dict[str, Entry]:
    """Entries by key (hex id); a repeat with equal content is dropped (of a re-stamped pair, the lower HLC
    stays); different content under one id raises ``ConflictingEntryError``."""
    return _dedupe(entries)[0]


def _dedupe(entries: Iterable[Entry]) -> tuple[dict[str, Entry], list[str]]:
    """``dedupe``, plus the keys of the corrections and retractions (collected in the same pass)."""
    by_key: dict[str, Entry] = {}
    amendment_keys: list[str] = []
    for e in entries:
        k = e.key
        prev = by_key.get(k)
        if prev is None:
            by_key[k] = e
            if e.fold_view.cardinality == "amendment":
                amendment_keys.append(k)
        elif prev is not e and prev != e:
            if prev.content_hash() != e.content_hash():
                raise ConflictingEntryError(e.entry_id)
            if e.order_key < prev.order_key:
                by_key[k] = e
    return by_key, amendment_keys


def _value_of(e: Entry) -> Payload | None:
    p = e.payload
    if p.CARDINALITY != "amendment":
        return p
    return p.replacement if isinstance(p, Correction) else None


def _own_slot(e: Entry) -> SlotKey | None:
    """The slot an entry opens or joins by itself; None for amendments (they join their target's slot)."""
    card = e.payload.CARDINALITY
    if card == "multi":
        return ("item", e.kind, e.key)
    if card == "single":
        return e.payload.fact_key(unit=e.unit)
    return None


def _resolve_amendments(
    by_key: dict[str, Entry], amendments: list[Entry], anomalies: list[str]
) -> tuple[dict[str, SlotKey], list[Entry]]:
    """The slot of each correction/retraction (following chains), and those whose target is missing."""
    slot_of: dict[str, SlotKey] = {}

    def resolve(a: Entry, seen: frozenset[str]) -> SlotKey | None:
        known = slot_of.get(a.key)
        if known is not None:
            return known
        target_key = a.supersedes[0].hex
        target = by_key.get(target_key)
        if target is None or target_key in seen:
            return None  # not here (yet), or a cycle, which cannot arise causally: leave it unresolved
        slot = _own_slot(target)
        if slot is None:
            slot = resolve(target, seen | {a.key})
            if slot is None:
                return None
        slot_of[a.key] = slot
        for other in a.supersedes[1:]:
            o = by_key.get(other.hex)
            other_slot = _own_slot(o) if o is not None else None
            if other_slot is not None and other_slot != slot:
                anomalies.append(f"{a.kind} {a.entry_id} supersedes entries of different facts")
        return slot

    pending = [a for a in sorted(amendments, key=_BY_ORDER) if resolve(a, frozenset()) is None]
    return slot_of, pending


def _comparable(r: Revision) -> tuple[Payload | None, datetime | None]:
    """What must be equal for two current values to agree rather than conflict."""
    v = r.value
    return (v, r.entry.clinical_time.at if v is not None and v.TIME_IS_VALUE else None)


def _fact(key: SlotKey, members: list[Entry], anomalies: list[str]) -> Fact:
    ids = {m.key for m in members}
    struck_by: dict[str, list[Entry]] = {}
    for m in members:
        for t in m.refs:
            if t in ids:
                struck_by.setdefault(t, []).append(m)
    members.sort(key=_BY_ORDER)
    current = [m for m in members if m.key not in struck_by]
    if not current:
        anomalies.append(f"every value of {key} supersedes another; showing all as current")
        current = list(members)
    original = next((m for m in members if m.payload.CARDINALITY != "amendment"), None)
    kind = original.kind if original is not None else (key[1] if key[0] == "item" else key[0])
    for m in members:
        p = m.payload
        if isinstance(p, Correction) and kind != p.replacement.KIND:
            anomalies.append(f"correction {m.entry_id} replaces a {kind} with a {p.replacement.KIND}")
    revisions = tuple(Revision(m, _value_of(m)) for m in current)
    first = _comparable(revisions[0])
    conflict = any(_comparable(r) != first for r in revisions[1:])
    struck = tuple(
        Struck(Revision(m, _value_of(m)), tuple(sorted(struck_by[m.key], key=_BY_ORDER)))
        for m in members
        if m.key in struck_by
    )
    return Fact(key, kind, revisions, struck, conflict)


def _signing(
    by_key: dict[str, Entry],
    stamps: dict[str, list[str]],
    signatures: list[tuple[str, str, str]],
    disposition_keys: set[str],
) -> SigningState:
    """When the journal closed: the first HLC at which a disposition exists and every clinical author has
    signed all of their entries up to then. Later entries are addenda.

    The condition can only become true at a signature or at the first disposition, so only those stamps are
    tested; each test finds an author's latest entry before the stamp by bisection.

    ``stamps``: clinical author -> HLC stamps of their entries (not signatures); ``signatures``: (stamp,
    author, signed up to); both collected by the fold's main pass.
    """
    for lst in stamps.values():
        lst.sort()
    dispositions = sorted(by_key[k].order_key[0] for k in disposition_keys)
    signatures.sort()

    signed: dict[str, str] = {}
    closed_at: str | None = None
    candidates = sorted({s for s, _, _ in signatures} | set(dispositions[:1]))
    sig_index = 0
    for c in candidates:
        while sig_index < len(signatures) and signatures[sig_index][0] <= c:
            _, pid, up_to = signatures[sig_index]
            if up_to > signed.get(pid, ""):
                signed[pid] = up_to
            sig_index += 1
        if not dispositions or dispositions[0] > c:
            continue
        authors = [(pid, lst) for pid, lst in stamps.items() if lst[0] <= c]
        if authors and all(lst[bisect_right(lst, c) - 1] <= signed.get(pid, "") for pid, lst in authors):
            closed_at = c
            break
    for _, pid, up_to in signatures[sig_index:]:
        if up_to > signed.get(pid, ""):
            signed[pid] = up_to
    addenda = (
        frozenset(e.entry_id for e in by_key.values() if e.order_key[0] > closed_at)
        if closed_at is not None
        else frozenset()
    )
    still_unsigned = tuple(sorted(pid for pid, lst in stamps.items() if lst[-1] > signed.get(pid, "")))
    return SigningState(
        signed_up_to={p: Hlc.parse(h) for p, h in signed.items()},
        unsigned_authors=still_unsigned,
        closed_at=Hlc.parse(closed_at) if closed_at is not None else None,
        addenda=addenda,
    )


def fold(entries: Iterable[Entry]) -> JournalState:
    """The state of one journal (or of linked journals, given all their entries) — pure and order-free."""
    with cycle_collection_paused():
        return _fold(entries)


def _fold(entries: Iterable[Entry]) -> JournalState:
    by_key, amendment_keys = _dedupe(entries)
    anomalies: list[str] = []
    amendments = [by_key[k] for k in amendment_keys]
    amendment_slot, pending = _resolve_amendments(by_key, amendments, anomalies)
    amended_items = {slot[2] for slot in amendment_slot.values() if slot[0] == "item"}

    # tuple.__new__ builds the named tuples in C (NamedTuple's own constructors are Python-level): this loop
    # runs once per entry, and most entries are items nobody amended, which need no grouping at all.
    new = tuple.__new__
    facts: dict[SlotKey, Fact] = {}
    conflicts: list[Fact] = []
    timeline: list[tuple[tuple[float, str, str], TimelineItem]] = []
    items: dict[str, list[tuple[tuple[float, str, str], Fact]]] = {}
    grouped: dict[SlotKey, list[Entry]] = {}
    stamps: dict[str, list[str]] = {}
    signatures: list[tuple[str, str, str]] = []
    for k, e in by_key.items():
        p, card, kind, signer, stamp, tk = e.fold_view
        if signer is not None:
            if isinstance(p, Signature):  # a signature cannot attest entries written after it
                signatures.append((stamp, signer, min(p.up_to.encode(), stamp)))
            elif signer in stamps:
                stamps[signer].append(stamp)
            else:
                stamps[signer] = [stamp]
        if card == "multi" and k not in amended_items:
            r: Revision = new(Revision, (e, p))
            f: Fact = new(Fact, (("item", kind, k), kind, (r,), (), False))
            if kind in items:
                items[kind].append((tk, f))
            else:
                items[kind] = [(tk, f)]
            timeline.append((tk, new(TimelineItem, (f, r))))
            continue
        if card == "multi":
            slot: SlotKey | None = ("item", kind, k)
        elif card == "single":
            slot = p.fact_key(unit=e.unit)
        else:
            slot = amendment_slot.get(k)
        if slot is not None:  # None: a pending amendment, its target is not among the entries
            grouped.setdefault(slot, []).append(e)

    disposition_keys: set[str] = set()
    for key, members in grouped.items():
        f = _fact(key, members, anomalies)
        if key[0] == "item":
            items.setdefault(f.kind, []).append((f.sort_key, f))
        else:
            facts[key] = f
            if key[0] == "disposition":
                disposition_keys.update(m.key for m in members)
        if f.conflict:
            conflicts.append(f)
        for r in f.current:
            if r.value is not None:
                timeline.append((r.entry.time_key, new(TimelineItem, (f, r))))

    timeline.sort(key=_FIRST)
    conflicts.sort(key=lambda f: f.key)
    for group in items.values():
        group.sort(key=_FIRST)
    return JournalState(
        by_key=by_key,
        facts=facts,
        items={kind: tuple(map(_SECOND, group)) for kind, group in items.items()},
        timeline=tuple(map(_SECOND, timeline)),
        conflicts=tuple(conflicts),
        pending_amendments=tuple(pending),
        signing=_signing(by_key, stamps, signatures, disposition_keys),
        anomalies=tuple(sorted(set(anomalies))),
    )


def linked_groups(entries: Iterable[Entry]) -> list[list[Entry]]:
    """Entries grouped by patient: journals joined by same-patient links that no retraction withdrew."""
    by_key = dedupe(entries)
    withdrawn = {t.hex for e in by_key.values() if e.kind == "retraction" for t in e.supersedes}
    parent: dict[UUID, UUID] = {}

    def find(x: UUID) -> UUID:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in by_key.values():
        find(e.journal_id)
        if isinstance(e.payload, SamePatientLink) and e.key not in withdrawn:
            a, b = find(e.journal_id), find(e.payload.other_journal_id)
            if a != b:
                parent[max(a, b)] = min(a, b)  # the smaller id is the root: deterministic
    groups: dict[UUID, list[Entry]] = {}
    for e in by_key.values():
        groups.setdefault(find(e.journal_id), []).append(e)
    return [groups[k] for k in sorted(groups)]


def fold_linked(entries: Iterable[Entry]) -> list[JournalState]:
    """One state per patient over entries of several journals: linked journals fold as one."""
    return [fold(group) for group in linked_groups(entries)]
