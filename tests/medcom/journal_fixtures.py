"""Demo journals as folded states, and amendments written onto them, for the message-building tests."""

from __future__ import annotations

from datetime import UTC, datetime

from journal.demo.scenarios import ANNE, scenarios
from journal.entry import Entry
from journal.fold import fold_linked
from journal.hlc import HybridClock
from journal.ids import uuid7_from
from journal.kinds.patient import CprIdentifier, PatientIdentity, ReplacementCprIdentifier
from journal.state import JournalState
from journal.writer import JournalWriter
from medcom.message_parts import MessageClock, Organisation, deterministic_clock

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SENDER = Organisation(sor="265161000016000", gln="5790000209354", name="PPJ demo sender", phone="38683868")
HOSPITAL = Organisation(sor="953741000016009", gln="5790001348120", name="Demo hospital")
GP = Organisation(sor="52581000016005", gln="5790000127092", name="Skødstrup Lægepraksis")


def entries_of(name: str) -> list[Entry]:
    return list(next(s for s in scenarios() if s.name == name).entries)


def state_of(entries: list[Entry]) -> JournalState:
    return fold_linked(entries)[0]


def clock(seed: str) -> MessageClock:
    return deterministic_clock(seed, AT)


def identity_entry(entries: list[Entry]) -> Entry:
    """The last entry that set or corrected the patient identity."""
    return [
        e
        for e in entries
        if e.kind == "patient_identity" or getattr(e.payload, "corrected_kind", "") == "patient_identity"
    ][-1]


def with_identity(entries: list[Entry], identity: PatientIdentity) -> list[Entry]:
    """The entries plus a later correction of the patient identity, by a writer who saw them all."""
    original = identity_entry(entries)
    counter = iter(range(1, 1000))
    writer = JournalWriter(
        journal_id=original.journal_id,
        author=ANNE,
        device_id="tab-test",
        unit="A-121",
        clock=HybridClock("tab-test", physical_ms=lambda: int(AT.timestamp() * 1000)),
        new_id=lambda: uuid7_from(unix_ms=int(AT.timestamp() * 1000), rand_a=next(counter), rand_b=42),
    )
    writer.saw(entries)
    return [*entries, writer.correct(original, identity, reason="test correction")]


OTHER_PERSON = PatientIdentity(identifier=CprIdentifier(value="0201919990"), family_name="Lauridsen")
REPLACEMENT_ONLY = PatientIdentity(
    identifier=ReplacementCprIdentifier(system="urn:oid:1.2.208.176.1.6.1.1", value="0703921VJ4"),
    family_name="Østergård",
)
