"""A tablet's pre-alerted patient, as the ED board tests and ``ppj bench board`` need it.

The entries are real journal entries: the crew's sign-on, a chief complaint, a vital set that scores
NEWS2 high (red), a transport urgency and a destination with a pre-alert to the world's own hospital.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session, sessionmaker

from journal.kinds.common import Reading
from journal.kinds.disposition import Destination, PreAlert, TransportUrgency
from journal.kinds.observations import Consciousness, VitalSigns
from journal.kinds.patient import ChiefComplaint
from server.orgs.models import Organisation
from tests.server.sync_tablets import Tablet

COMPLAINT = "Trykkende smerter i brystet siden kl. 14"


def red_vitals() -> VitalSigns:
    """NEWS2 12 on air with an alert patient (RR 26: 3, SpO2 90 %: 3, P 128: 2, BP 95: 2, T 38.5: 1)."""
    return VitalSigns(
        heart_rate=Reading(value=128, unit="/min"),
        bp_systolic=Reading(value=95, unit="mm[Hg]"),
        bp_diastolic=Reading(value=60, unit="mm[Hg]"),
        respiratory_rate=Reading(value=26, unit="/min"),
        spo2=Reading(value=90, unit="%"),
        on_oxygen=False,
        temperature=Reading(value=38.5, unit="Cel"),
    )


def hospital_sor(sessions: sessionmaker[Session], emergency_department_id: uuid.UUID) -> str:
    """The SOR code of the hospital that owns the emergency department (a destination names it)."""
    with sessions() as session:
        ed = session.get_one(Organisation, emergency_department_id)
        assert ed.parent_id is not None
        sor = session.get_one(Organisation, ed.parent_id).sor_id
        assert sor is not None
        return sor


def capture_pre_alerted_patient(tablet: Tablet, *, sor: str, hospital: str) -> uuid.UUID:
    """Capture (not yet sync) a new journal that ends with a pre-alert to ``sor``; return its id."""
    journal_id = tablet.open_journal()
    now = dt.datetime.now(dt.UTC)
    tablet.capture(tablet.entry(journal_id, ChiefComplaint(text=COMPLAINT, category="chest_pain")))
    tablet.capture(tablet.entry(journal_id, Consciousness(acvpu="A")))
    tablet.capture(tablet.entry(journal_id, red_vitals()))
    tablet.capture(tablet.entry(journal_id, TransportUrgency(level="A")))
    destination = Destination(
        hospital=hospital,
        sor_code=sor,
        eta=now + dt.timedelta(minutes=12),
        pre_alert=PreAlert(alert_type="stemi", sent_at=now, receiver=hospital),
    )
    tablet.capture(tablet.entry(journal_id, destination))
    return journal_id
