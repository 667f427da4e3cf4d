"""A large synthetic journal for benchmarks and property tests: many units, devices, corrections, conflicts.

Deterministic for a given size and seed; the patient is MedCom test person 2509479989.
"""

from __future__ import annotations

import random

from journal.demo.builder import DEMO_DAY, ScenarioBuilder
from journal.demo.scenarios import ANNE, BO, DORTE, EVA
from journal.demo.values import DEMO_TABLE_VERSIONS, gcs, mark, vitals
from journal.entry import Entry
from journal.kinds.common import Quantity
from journal.kinds.mission import ScoreTableVersions
from journal.kinds.patient import ChiefComplaint, CprIdentifier, PatientIdentity
from journal.kinds.record import Note
from journal.kinds.treatment import CardiacArrestEvent, Medication, StandingProtocol


def large_journal(size: int = 2000, *, seed: int = 7) -> list[Entry]:
    """About ``size`` entries of one journal written by four people on four tablets in two units."""
    rng = random.Random(seed)
    b = ScenarioBuilder(f"large-{size}-{seed}", start=DEMO_DAY)
    jid = b.journal_id()
    writers = [
        b.writer(journal_id=jid, author=ANNE, device_id="tab-1", unit="A-1"),
        b.writer(journal_id=jid, author=BO, device_id="tab-2", unit="A-1", skew_ms=40_000),
        b.writer(journal_id=jid, author=DORTE, device_id="tab-3", unit="P-2", skew_ms=-70_000),
        b.writer(journal_id=jid, author=EVA, device_id="tab-4", unit="LB-1"),
    ]
    w0 = writers[0]
    b.write(w0, mark("patient_contact"), minute=0)
    b.write(w0, ScoreTableVersions(versions=DEMO_TABLE_VERSIONS), minute=0)
    b.write(w0, PatientIdentity(identifier=CprIdentifier(value="2509479989"), family_name="Elmer"), minute=0)
    complaint = [b.write(w0, ChiefComplaint(text="Brystsmerter", category="chest_pain"), minute=1)]
    protocol = StandingProtocol(protocol_id="RN-BEH-2026", protocol_version="3.1")
    minute = 1.0
    while len(b.entries) < size:
        minute += 0.25
        w = rng.choice(writers)
        roll = rng.random()
        if roll < 0.55:
            hr = rng.randint(40, 160)
            e = b.write(
                w,
                vitals(
                    hr=hr,
                    sys=rng.randint(80, 200),
                    dia=rng.randint(40, 79),
                    rr=rng.randint(8, 30),
                    spo2=rng.randint(85, 100),
                    on_oxygen=rng.random() < 0.3,
                ),
                minute=minute,
            )
            if rng.random() < 0.05:
                b.correct(
                    w, e, vitals(hr=hr + 1, spo2=96, on_oxygen=False), reason="aflæsningsfejl", minute=minute
                )
        elif roll < 0.62:
            b.device(
                w,
                "vital_signs",
                {"heart_rate": {"value": rng.choice([0, 72, 310]), "unit": "/min"}},
                minute=minute,
                serial="LP15-1",
            )
        elif roll < 0.70:
            b.write(w, gcs(rng.randint(1, 4), rng.randint(1, 5), rng.randint(1, 6)), minute=minute)
        elif roll < 0.78:
            b.write(
                w,
                Medication(
                    atc="N02AB03",
                    name="Fentanyl",
                    dose=Quantity(value=50, unit="ug"),
                    route="iv",
                    legal_basis=protocol,
                ),
                minute=minute,
            )
        elif roll < 0.86:
            note = b.write(w, Note(text=f"observation {len(b.entries)}"), minute=minute)
            if rng.random() < 0.1:
                b.add(w.retract(note, reason="forkert patient", at=b.at(minute)))
        elif roll < 0.93:
            b.write(
                w,
                CardiacArrestEvent(event="rhythm_check", rhythm=rng.choice(["vf", "pea", "organised"])),
                minute=minute,
            )
        elif roll < 0.97:
            # Sometimes two writers update the complaint without seeing each other: a conflict.
            complaint = [
                b.update(
                    w,
                    complaint,
                    ChiefComplaint(text=f"Brystsmerter ({len(b.entries)})", category="chest_pain"),
                    minute=minute,
                )
            ]
            if rng.random() < 0.3:
                other = rng.choice([x for x in writers if x is not w])
                complaint.append(
                    b.write(
                        other, ChiefComplaint(text="Åndenød", category="breathing_difficulty"), minute=minute
                    )
                )
        else:
            b.write(w, mark(rng.choice(["alarm", "on_scene", "leaving_scene"])), minute=minute)
        if rng.random() < 0.05:
            b.sync(*writers)
    return b.entries[:size]


__all__ = ["large_journal"]
