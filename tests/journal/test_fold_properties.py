"""Invariants of the fold, with Hypothesis: order and duplicates do not matter, nothing written is ever
dropped, concurrent values always surface as a conflict, and a resolution clears it."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from journal.demo.builder import DEMO_DAY, ScenarioBuilder, person
from journal.demo.values import vitals
from journal.entry import Entry, Role
from journal.fold import fold
from journal.kinds.patient import ChiefComplaint
from journal.kinds.record import Correction, Note, Retraction
from journal.state import JournalState
from journal.writer import JournalWriter

PEOPLE = [
    person("p-a", "Anne", Role.PARAMEDICINER),
    person("p-b", "Bo", Role.AMBULANCEASSISTENT),
    person("p-c", "Carl", Role.PHYSICIAN),
]


def snapshot(state: JournalState) -> Any:
    """Everything observable about a state, as plain comparable data."""
    facts = {
        key: (
            f.kind,
            tuple(r.entry.entry_id for r in f.current),
            tuple((s.revision.entry.entry_id, tuple(e.entry_id for e in s.struck_by)) for s in f.struck),
            f.conflict,
        )
        for key, f in state.facts.items()
    }
    items = {
        kind: tuple(tuple(r.entry.entry_id for r in f.current) for f in group)
        for kind, group in state.items.items()
    }
    return (
        facts,
        items,
        tuple(t.revision.entry.entry_id for t in state.timeline),
        tuple(f.key for f in state.conflicts),
        tuple(e.entry_id for e in state.pending_amendments),
        state.signing,
        state.anomalies,
    )


class Simulation:
    """Three writers on three tablets writing into one journal, syncing now and then."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.b = ScenarioBuilder(f"prop-{seed}", start=DEMO_DAY)
        jid = self.b.journal_id()
        self.writers = [
            self.b.writer(journal_id=jid, author=p, device_id=f"tab-{i}", unit=f"U-{i % 2}", skew_ms=skew)
            for i, (p, skew) in enumerate(zip(PEOPLE, [0, 90_000, -45_000], strict=True))
        ]
        self.seen: dict[str, list[Entry]] = {w.device_id: [] for w in self.writers}
        self.minute = 0.0

    def _write(self, w: JournalWriter, make: Any) -> Entry:
        self.minute += self.rng.choice([0.1, 0.5, 1.0])
        self.b.advance_to(self.b.at(self.minute))
        entry: Entry = make(self.b.at(self.rng.uniform(0, self.minute)))
        self.b.add(entry)
        self.seen[w.device_id].append(entry)
        return entry

    def sync(self, w: JournalWriter) -> None:
        w.saw(self.b.entries)
        self.seen[w.device_id] = list(self.b.entries)

    def step(self, op: str) -> None:
        w = self.rng.choice(self.writers)
        mine = self.seen[w.device_id]
        if op == "note":
            self._write(w, lambda at: w.write(Note(text=f"n{len(self.b.entries)}"), at=at))
        elif op == "vitals":
            self._write(w, lambda at: w.write(vitals(hr=self.rng.randint(40, 150), sys=120, dia=80), at=at))
        elif op == "complaint":
            fact = fold(mine).fact("chief_complaint")
            text = self.rng.choice(["Brystsmerter", "Åndenød", "Faldet", "Kramper"])
            self._write(w, lambda at: w.update(fact, ChiefComplaint(text=text), at=at))
        elif op in ("correct", "retract") and mine:
            target = self.rng.choice(mine)
            if target.kind in ("signature", "same_patient_link"):
                return
            if op == "retract":
                self._write(w, lambda at: w.retract(target, reason="fejl", at=at))
            else:
                p = target.payload
                current = p.replacement if isinstance(p, Correction) else p
                if isinstance(current, Retraction):
                    return
                replacement = {
                    "note": Note(text="rettet"),
                    "chief_complaint": ChiefComplaint(text="Rettet"),
                    "vital_signs": vitals(hr=self.rng.randint(40, 150)),
                }.get(current.KIND)
                if replacement is not None:
                    self._write(w, lambda at: w.correct(target, replacement, reason="rettelse"))
        elif op == "sign":
            self._write(w, lambda at: w.sign(at=at))
        elif op == "sync":
            self.sync(w)


OPS = st.lists(
    st.sampled_from(["note", "vitals", "complaint", "complaint", "correct", "retract", "sign", "sync"]),
    min_size=1,
    max_size=25,
)


def simulate(seed: int, ops: list[str]) -> list[Entry]:
    sim = Simulation(seed)
    for op in ops:
        sim.step(op)
    return sim.b.entries


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), OPS, st.randoms(use_true_random=False))
def test_the_state_is_the_same_for_every_order_of_the_same_entries_even_with_duplicates(
    seed: int, ops: list[str], shuffler: random.Random
) -> None:
    entries = simulate(seed, ops)
    reference = snapshot(fold(entries))
    shuffled = entries + shuffler.sample(entries, k=len(entries) // 2)
    shuffler.shuffle(shuffled)
    assert snapshot(fold(shuffled)) == reference


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), OPS)
def test_nothing_written_is_ever_dropped_a_correction_never_removes_the_original(
    seed: int, ops: list[str]
) -> None:
    entries = simulate(seed, ops)
    state = fold(entries)
    shown = {t.revision.entry.entry_id for t in state.timeline}
    for group in [*state.facts.values(), *(f for g in state.items.values() for f in g)]:
        shown.update(r.entry.entry_id for r in group.current)
        shown.update(s.revision.entry.entry_id for s in group.struck)
    shown.update(e.entry_id for e in state.pending_amendments)
    assert shown == {e.entry_id for e in entries}
    for e in entries:
        if e.kind in ("correction", "retraction") and e not in state.pending_amendments:
            originals = [s for f in [*state.facts.values(), *(f for g in state.items.values() for f in g)]
                         for s in f.struck if s.revision.entry.entry_id == e.supersedes[0]]  # fmt: skip
            assert originals, "the corrected entry stays readable, struck"
            assert any(e in s.struck_by for s in originals)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10**6),
    OPS,
    st.lists(
        st.sampled_from(["Brystsmerter", "Åndenød", "Faldet", "Synkope"]), min_size=2, max_size=3, unique=True
    ),
)
def test_concurrent_values_always_surface_as_a_conflict_and_a_resolution_clears_it(
    seed: int, ops: list[str], texts: list[str]
) -> None:
    sim = Simulation(seed)
    for op in ops:
        sim.step(op)
    for w in sim.writers:
        sim.sync(w)  # everyone has seen the same history...
    concurrent = []
    for w, text in zip(
        sim.writers, texts, strict=False
    ):  # ...then writes a new value without seeing the others
        fact = fold(sim.seen[w.device_id]).fact("chief_complaint")
        concurrent.append(
            sim._write(
                w, lambda at, w=w, fact=fact, text=text: w.update(fact, ChiefComplaint(text=text), at=at)
            )
        )
    state = fold(sim.b.entries)
    fact = state.fact("chief_complaint")
    assert fact is not None and fact.conflict
    assert set(fact.current_ids) == {e.entry_id for e in concurrent}
    assert fact in state.conflicts
    assert state.value("chief_complaint") is None  # never silently picks one

    resolver = sim.writers[0]
    sim.sync(resolver)
    resolution = sim._write(resolver, lambda at: resolver.update(fact, ChiefComplaint(text=texts[0]), at=at))
    resolved = fold(sim.b.entries)
    after = resolved.fact("chief_complaint")
    assert after is not None and not after.conflict
    assert after.current_ids == (resolution.entry_id,)
    assert ("chief_complaint",) not in [f.key for f in resolved.conflicts]  # (other facts may be in conflict)
    struck = {s.revision.entry.entry_id: s for s in after.struck}
    assert all(resolution in struck[e.entry_id].struck_by for e in concurrent)


def test_equal_concurrent_values_agree_rather_than_conflict() -> None:
    b = ScenarioBuilder("agree", start=DEMO_DAY)
    jid = b.journal_id()
    w1 = b.writer(journal_id=jid, author=PEOPLE[0], device_id="tab-1", unit="A")
    w2 = b.writer(journal_id=jid, author=PEOPLE[1], device_id="tab-2", unit="B")
    b.write(w1, ChiefComplaint(text="Brystsmerter"), minute=1)
    b.write(w2, ChiefComplaint(text="Brystsmerter"), minute=1)
    fact = fold(b.entries).fact("chief_complaint")
    assert fact is not None and not fact.conflict and len(fact.current) == 2


def test_measurements_order_by_clinical_time_not_by_when_they_were_written() -> None:
    b = ScenarioBuilder("order", start=DEMO_DAY)
    jid = b.journal_id()
    w = b.writer(journal_id=jid, author=PEOPLE[0], device_id="tab-1", unit="A")
    late = b.write(w, vitals(hr=90), minute=20)
    early = b.write(w, vitals(hr=70), minute=5)  # typed in afterwards, taken earlier
    state = fold(b.entries)
    assert [r.entry for r, _ in state.current_entries("vital_signs")] == [early, late]
    assert early.hlc > late.hlc
    assert state.timeline[0].time == DEMO_DAY + timedelta(minutes=5)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.booleans()), max_size=5),
    st.randoms(use_true_random=False),
)
def test_linked_journals_group_the_same_way_in_every_order(
    links: list[tuple[int, int, bool]], shuffler: random.Random
) -> None:
    """Four journals, random same-patient links (some later retracted): the grouping is the connected
    components of the links still standing, whatever order the entries come in."""
    from journal.fold import fold_linked
    from journal.kinds.patient import SamePatientLink

    b = ScenarioBuilder("links", start=DEMO_DAY)
    jids = [b.journal_id() for _ in range(4)]
    ws = [
        b.writer(journal_id=j, author=PEOPLE[0], device_id=f"tab-{i}", unit="A") for i, j in enumerate(jids)
    ]
    for i, w in enumerate(ws):
        b.write(w, Note(text=f"journal {i}"), minute=i)
    parent = list(range(4))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, c, retracted in links:
        if a == c:
            continue
        link = b.write(ws[a], SamePatientLink(other_journal_id=jids[c], reason="same"), minute=5)
        if retracted:
            b.add(ws[a].retract(link, reason="not the same", at=b.at(6)))
        else:
            parent[find(a)] = find(c)
    expected = sorted(
        sorted(str(jids[i]) for i in range(4) if find(i) == root) for root in {find(i) for i in range(4)}
    )

    def grouping(entries: list[Entry]) -> list[list[str]]:
        return sorted(sorted(str(j) for j in s.journal_ids) for s in fold_linked(entries))

    entries = list(b.entries)
    assert grouping(entries) == expected
    shuffler.shuffle(entries)
    assert grouping(entries + entries[:3]) == expected
