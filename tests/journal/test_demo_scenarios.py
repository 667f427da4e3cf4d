"""The demo scenarios load, are deterministic, use only published test persons, and show what they claim."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal.demo import scenarios
from journal.entry import entry_from_json
from journal.fold import fold_linked
from journal.kinds.patient import CprIdentifier, PatientIdentity, ReplacementCprIdentifier
from journal.kinds.record import Correction

REFERENCE = Path("/work/shared/reference")
# Published test persons: MedCom IG examples (medcom/examples) and NSP test responses (nsp/examples).
PUBLISHED_CPRS = {"2509479989", "0201919990", "2311143995", "1111111118", "1004219992", "0201909309"}
PUBLISHED_REPLACEMENT_CPRS = {"0703921VJ4"}


def _identities() -> list[PatientIdentity]:
    out = []
    for s in scenarios():
        for e in s.entries:
            p = e.payload.replacement if isinstance(e.payload, Correction) else e.payload
            if isinstance(p, PatientIdentity):
                out.append(p)
    return out


def test_there_are_seven_named_scenarios_with_descriptions() -> None:
    names = [s.name for s in scenarios()]
    assert names == [
        "stemi", "stroke", "trauma", "cardiac-arrest", "hypoglycaemia-released", "copd-scale-2",
        "unknown-patient",
    ]  # fmt: skip
    assert all(len(s.description) > 40 and s.entries for s in scenarios())


def test_scenarios_are_deterministic_so_loading_them_twice_is_a_no_op() -> None:
    first, second = scenarios(), scenarios()
    for a, b in zip(first, second, strict=True):
        assert [e.entry_id for e in a.entries] == [e.entry_id for e in b.entries]
        assert [e.content_hash() for e in a.entries] == [e.content_hash() for e in b.entries]


def test_every_demo_entry_survives_the_wire_format() -> None:
    for s in scenarios():
        for e in s.entries:
            assert entry_from_json(e.to_json()).content_hash() == e.content_hash()


def test_only_published_test_persons_are_used() -> None:
    for identity in _identities():
        if isinstance(identity.identifier, CprIdentifier):
            assert identity.identifier.value in PUBLISHED_CPRS
        elif isinstance(identity.identifier, ReplacementCprIdentifier):
            assert identity.identifier.value in PUBLISHED_REPLACEMENT_CPRS


def test_the_test_persons_really_appear_in_the_reference_material() -> None:
    if not REFERENCE.exists():
        pytest.skip("the shared reference folder (outside the repo) is not on this machine")
    files = [p for p in REFERENCE.rglob("*") if p.is_file() and p.suffix in {".json", ".xml", ".md"}]
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
    for value in PUBLISHED_CPRS | PUBLISHED_REPLACEMENT_CPRS:
        assert value in text


def test_each_scenario_shows_what_its_description_promises() -> None:
    by_name = {s.name: s for s in scenarios()}
    states = {name: fold_linked(s.entries) for name, s in by_name.items()}
    assert all(len(v) == 1 for v in states.values())  # the arrest's two journals are joined by the link
    state = {name: v[0] for name, v in states.items()}
    assert [f.key for f in state["trauma"].conflicts] == [("transport_urgency",)]
    stemi_destination = state["stemi"].fact("destination")
    assert (
        stemi_destination is not None
        and len(stemi_destination.struck) == 2
        and not stemi_destination.conflict
    )
    assert len(state["cardiac-arrest"].journal_ids) == 2
    assert state["stemi"].signing.closed and state["hypoglycaemia-released"].signing.closed
    assert state["copd-scale-2"].value("spo2_scale_decision") is not None
    assert state["copd-scale-2"].items["vital_signs"][0].struck[0].revision.entry.device_sourced
    identity = state["unknown-patient"].value("patient_identity")
    assert isinstance(identity, PatientIdentity)
    assert isinstance(identity.identifier, ReplacementCprIdentifier)
    units_writing = {name: {e.unit for e in s.entries if e.unit} for name, s in by_name.items()}
    assert sum(len(u) >= 2 for u in units_writing.values()) >= 2
