"""A small, fixed world for server tests: Region Syddanmark-like organisations, one person per role,
a tablet, and journals whose relations to those people are related, unrelated, expired or sandbox.

Time is real (``utcnow``); "expired" relations are placed days in the past, far beyond the windows.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from journal.demo.places import demo_sor
from server.care.models import AnnouncementKind, Journal, JournalAnnouncement, Mission, MissionUnit
from server.db import utcnow
from server.demo import MEDCOM_TEST_CPR, demo_gln
from server.identity.models import CREW_ROLES, Role
from server.identity.passwords import HashedPassword
from server.identity.service import (
    create_person,
    enrol_device,
    issue_access_token,
    sign_on,
    start_web_session,
)
from server.orgs.models import OrgKind, UnitType
from server.orgs.service import create_organisation

PASSWORD = "correct horse battery staple"


@functools.cache
def hashed_password() -> HashedPassword:
    return HashedPassword.of(PASSWORD)


@dataclass
class Caller:
    role: Role
    person_id: uuid.UUID
    username: str
    token: str
    device_credential: str | None
    cookie: str
    csrf: str

    def api_headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.device_credential:
            headers["X-PPJ-Device"] = self.device_credential
        return headers


@dataclass
class World:
    callers: dict[Role, Caller]
    journals: dict[str, uuid.UUID]  # related, related_unidentified, unrelated, expired, sandbox
    ed_own: uuid.UUID  # an emergency department of the ED staff's hospital
    ed_other: uuid.UUID
    unit_own: uuid.UUID
    device_id: uuid.UUID
    device_credential: str
    extra: dict[str, uuid.UUID] = field(default_factory=dict)


def build_world(sessions: sessionmaker[Session]) -> World:
    now = utcnow()
    long_ago = now - dt.timedelta(days=3)
    counter = iter(range(100, 1000))

    with sessions() as session:

        def org(kind: OrgKind, name: str, parent: uuid.UUID | None, **unit: object) -> uuid.UUID:
            n = next(counter)
            created = create_organisation(
                session=session,
                kind=kind,
                name=name,
                parent_id=parent,
                sor_id=demo_sor(n),
                gln=demo_gln(n),
                demo_identifiers=True,
                call_sign=unit.get("call_sign"),  # type: ignore[arg-type]
                unit_type=unit.get("unit_type"),  # type: ignore[arg-type]
            )
            return created.id

        region = org(OrgKind.region, "Region Syddanmark", None)
        hospital_own = org(OrgKind.hospital, "Odense Universitetshospital", region)
        hospital_other = org(OrgKind.hospital, "Sydvestjysk Sygehus", region)
        ed_own = org(OrgKind.emergency_department, "FAM OUH", hospital_own)
        ed_other = org(OrgKind.emergency_department, "FAM Esbjerg", hospital_other)
        unit_own = org(OrgKind.unit, "Ambulance 1", region, call_sign="T-AMB-1", unit_type=UnitType.ambulance)
        unit_other = org(
            OrgKind.unit, "Ambulance 2", region, call_sign="T-AMB-2", unit_type=UnitType.ambulance
        )
        enrolment = enrol_device(session=session, label="Tablet T-AMB-1", organisation_id=unit_own)

        callers: dict[Role, Caller] = {}
        for role in Role:
            person = create_person(
                session=session,
                username=f"u-{role.value}",
                display_name=f"Test {role.value}",
                role=role,
                password=hashed_password(),  # hashed once per test session: argon2 is slow on purpose
                authorisation_id="0AB12" if role is Role.physician else None,
                # ED staff and the receiving system belong to the hospital; everyone else to the region.
                organisation_id=hospital_own if role in (Role.ed_staff, Role.receiver_system) else region,
            )
            crew = role in CREW_ROLES
            device = enrolment.device if crew else None
            if crew:
                # Signed on to the own unit since before every mission below, still on shift.
                sign_on(
                    session=session,
                    person=person,
                    unit_id=unit_own,
                    device=device,
                    now=long_ago - dt.timedelta(hours=1),
                )
            token = issue_access_token(
                session=session, person=person, device=device, ttl=dt.timedelta(hours=1), now=now
            )
            web = start_web_session(session=session, person=person, ttl=dt.timedelta(hours=1), now=now)
            callers[role] = Caller(
                role=role,
                person_id=person.id,
                username=person.username,
                token=token.token,
                device_credential=enrolment.credential if crew else None,
                cookie=web.token,
                csrf=web.web_session.csrf_token,
            )

        def journal(
            *,
            unit: uuid.UUID,
            ed: uuid.UUID,
            at: dt.datetime,
            ended: dt.datetime | None,
            cpr: str | None,
            sandbox: bool = False,
        ) -> uuid.UUID:
            mission = Mission(created_at=at)
            session.add(mission)
            session.flush()
            session.add(MissionUnit(mission_id=mission.id, unit_id=unit, assigned_at=at))
            row = Journal(
                mission_id=mission.id, patient_cpr=cpr, opened_at=at, episode_ended_at=ended, sandbox=sandbox
            )
            session.add(row)
            session.flush()
            session.add(
                JournalAnnouncement(
                    journal_id=row.id,
                    emergency_department_id=ed,
                    kind=AnnouncementKind.destination,
                    announced_at=at,
                )
            )
            return row.id

        recent = now - dt.timedelta(minutes=20)
        journals = {
            "related": journal(unit=unit_own, ed=ed_own, at=recent, ended=None, cpr=MEDCOM_TEST_CPR),
            "unrelated": journal(unit=unit_other, ed=ed_other, at=recent, ended=None, cpr=MEDCOM_TEST_CPR),
            "expired": journal(
                unit=unit_own,
                ed=ed_own,
                at=long_ago,
                ended=long_ago + dt.timedelta(hours=1),
                cpr=MEDCOM_TEST_CPR,
            ),
            "sandbox": journal(
                unit=unit_own, ed=ed_own, at=recent, ended=None, cpr=MEDCOM_TEST_CPR, sandbox=True
            ),
        }
        session.commit()
        return World(
            callers=callers,
            journals=journals,
            ed_own=ed_own,
            ed_other=ed_other,
            unit_own=unit_own,
            device_id=enrolment.device.id,
            device_credential=enrolment.credential,
        )
