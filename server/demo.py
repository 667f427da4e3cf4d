"""Development-only demo data for Region Syddanmark: organisations, people, a device and care relations.

Identifiers: we found no published SOR ids or GLNs for these organisations in our reference material, so
every identifier here is from PPJ's demo namespace (docs/demo-identifiers.md) and flagged
``demo_identifiers``: SOR ids start with ``999``, GLNs with the GS1 restricted-circulation prefix ``02``
(never assigned globally). Names are the real public organisations; numbers are not theirs.

The demo patient is the published MedCom test person CPR 2509479989, which appears only in care-relation rows.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from journal.demo.places import HOSPITALS, demo_sor
from server.care.models import Journal, Mission
from server.identity.models import CrewShift, Person, Role
from server.identity.passwords import HashedPassword
from server.identity.service import create_person, enrol_device, set_password, sign_on
from server.orgs.gp_lookup import assign_gp
from server.orgs.models import EndpointKind, Organisation, OrgKind, UnitType
from server.orgs.service import RECEIVER_KINDS, add_endpoint, create_organisation

MEDCOM_TEST_CPR = "2509479989"  # MedCom test person used in the MedCom IG examples
REGION_DEMO_SOR = "999000000000001"


def demo_gln(number: int) -> str:
    body = f"0299900{number:05d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


# Region Syddanmark's 22 municipalities with their DK Core municipality codes (CodeSystem
# http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes, hl7.fhir.dk.core 3.4.0; membership of the
# region: https://regionsyddanmark.dk). Each row is the municipality's home-care receiver (the notice to
# home care is addressed by the code the journal records for the patient); SOR id and GLN are demo values.
MUNICIPALITIES = [
    ("Assens Kommune", "0420"),
    ("Billund Kommune", "0530"),
    ("Esbjerg Kommune", "0561"),
    ("Fanø Kommune", "0563"),
    ("Fredericia Kommune", "0607"),
    ("Faaborg-Midtfyn Kommune", "0430"),
    ("Haderslev Kommune", "0510"),
    ("Kerteminde Kommune", "0440"),
    ("Kolding Kommune", "0621"),
    ("Langeland Kommune", "0482"),
    ("Middelfart Kommune", "0410"),
    ("Nordfyns Kommune", "0480"),
    ("Nyborg Kommune", "0450"),
    ("Odense Kommune", "0461"),
    ("Svendborg Kommune", "0479"),
    ("Sønderborg Kommune", "0540"),
    ("Tønder Kommune", "0550"),
    ("Varde Kommune", "0573"),
    ("Vejen Kommune", "0575"),
    ("Vejle Kommune", "0630"),
    ("Ærø Kommune", "0492"),
    ("Aabenraa Kommune", "0580"),
]
# The region's prehospital contact phone, which CareCommunication puts on every payload. A demo value:
# no Danish subscriber number begins with 0 (docs/demo-identifiers.md); replace before go-live.
REGION_DEMO_PHONE = "+45 0000 0001"
# The demo GP's patients: the MedCom test persons of the demo journals that end on scene.
DEMO_GP_PATIENTS = (MEDCOM_TEST_CPR, "2311143995")
UNITS = [
    ("SYD-AMB-101", "Ambulance Odense 101", UnitType.ambulance),
    ("SYD-AMB-102", "Ambulance Odense 102", UnitType.ambulance),
    ("SYD-AMB-301", "Ambulance Esbjerg 301", UnitType.ambulance),
    ("SYD-LB-1", "Akutlægebil Odense", UnitType.physician_car),
    ("SYD-HEMS-1", "Akutlægehelikopter (demo)", UnitType.helicopter),
]
# username, display name, role, authorisation id (demo), organisation ("region" or the hospital's name)
PEOPLE = [
    ("admin", "Demo Administrator", Role.administrator, None, "region"),
    ("disp", "Demo Disponent AMK", Role.dispatcher, None, "region"),
    ("assist", "Demo Ambulanceassistent", Role.ambulanceassistent, None, "region"),
    ("behandler", "Demo Ambulancebehandler", Role.ambulancebehandler, None, "region"),
    ("paramed", "Demo Paramediciner", Role.paramediciner, None, "region"),
    ("laege", "Demo Akutlæge", Role.physician, "0D3M0", "region"),
    ("fam-ouh", "Demo Sygeplejerske FAM OUH", Role.ed_staff, None, "Odense Universitetshospital"),
    ("integrator", "Demo Integrator", Role.integrator, None, "region"),
    # OUH's EPJ as a receiving system: posts its later acknowledgements (POST /medcom/acknowledgements).
    ("epj-ouh", "Demo EPJ OUH (modtagersystem)", Role.receiver_system, None, "Odense Universitetshospital"),
]


@dataclass(frozen=True)
class DemoSeed:
    password: str  # one generated password for every demo user, printed once at start
    usernames: list[str]
    device_credential: str | None  # a fresh enrolled demo tablet per start


def seed_demo(*, session: Session, now: dt.datetime) -> DemoSeed:
    """Create the demo data if absent; give every demo user a freshly generated password. Caller commits."""
    region = session.scalar(select(Organisation).where(Organisation.sor_id == REGION_DEMO_SOR))
    if region is None:
        region = _seed_organisations(session=session, now=now)
    password = secrets.token_urlsafe(12)
    hashed = HashedPassword.of(password)
    names: list[str] = []
    by_name = {org.name: org for org in session.scalars(select(Organisation))}
    for username, display, role, authorisation_id, org_name in PEOPLE:
        person = session.scalar(select(Person).where(Person.username == username))
        if person is None:
            organisation = region if org_name == "region" else by_name[org_name]
            person = create_person(
                session=session,
                username=username,
                display_name=display,
                role=role,
                password=hashed,
                authorisation_id=authorisation_id,
                organisation_id=organisation.id,
            )
        else:
            set_password(person=person, password=hashed)
            person.active = True
        names.append(username)
    device = enrol_device(
        session=session, label=f"Demo-tablet {now:%Y-%m-%d %H:%M}", organisation_id=region.id
    )
    _seed_care(session=session, now=now)
    _seed_journal_entries(session=session, region=region, now=now)
    return DemoSeed(password=password, usernames=names, device_credential=device.credential)


def _seed_organisations(*, session: Session, now: dt.datetime) -> Organisation:
    # Numbers after the hospitals' (journal.demo.places numbers them 2–11 so the scenarios can name them).
    counter = iter(range(2 + 2 * len(HOSPITALS), 1000))

    def org(
        kind: OrgKind,
        name: str,
        parent: Organisation | None,
        call_sign: str | None = None,
        unit_type: UnitType | None = None,
        number: int | None = None,
        municipality_code: str | None = None,
    ) -> Organisation:
        n = number if number is not None else next(counter)
        created = create_organisation(
            session=session,
            kind=kind,
            name=name,
            parent_id=parent.id if parent else None,
            sor_id=demo_sor(n),
            gln=demo_gln(n),
            call_sign=call_sign,
            unit_type=unit_type,
            demo_identifiers=True,
            municipality_code=municipality_code,
        )
        if kind in RECEIVER_KINDS:
            add_endpoint(
                session=session, organisation_id=created.id, kind=EndpointKind.vans, address=demo_gln(n)
            )
        return created

    region = create_organisation(
        session=session,
        kind=OrgKind.region,
        name="Region Syddanmark",
        sor_id=REGION_DEMO_SOR,
        demo_identifiers=True,
        phone=REGION_DEMO_PHONE,
    )
    for h in HOSPITALS:
        hospital = org(OrgKind.hospital, h.name, region, number=int(h.sor[3:]))
        org(
            OrgKind.emergency_department,
            h.emergency_department,
            hospital,
            number=int(h.emergency_department_sor[3:]),
        )
    for name, code in MUNICIPALITIES:
        org(OrgKind.municipality, name, None, municipality_code=code)
    gp = org(OrgKind.gp_practice, "Demo Lægepraksis Odense C", region)
    for cpr in DEMO_GP_PATIENTS:
        assign_gp(session=session, patient_cpr=cpr, organisation=gp, source="demo", now=now)
    for call_sign, name, unit_type in UNITS:
        org(OrgKind.unit, name, region, call_sign=call_sign, unit_type=unit_type)
    return region


def _seed_care(*, session: Session, now: dt.datetime) -> None:
    """A sandbox journal for the integrator, and the crew users 'behandler' and 'assist' signed on to
    SYD-AMB-101. Patients come only from the scenarios' entries (``_seed_journal_entries``): a journal row
    without entries would show on a board as a patient with nothing recorded."""
    if session.scalar(select(Journal.id).where(Journal.sandbox.is_(True)).limit(1)) is not None:
        return
    unit = session.scalar(select(Organisation).where(Organisation.call_sign == "SYD-AMB-101"))
    assert unit is not None  # created by _seed_organisations
    sandbox_mission = Mission(created_at=now)
    session.add(sandbox_mission)
    session.flush()
    session.add(
        Journal(mission_id=sandbox_mission.id, patient_cpr=MEDCOM_TEST_CPR, sandbox=True, opened_at=now)
    )
    for username in ("behandler", "assist"):
        person = session.scalar(select(Person).where(Person.username == username))
        assert person is not None
        sign_on(session=session, person=person, unit_id=unit.id, device=None, now=now - dt.timedelta(hours=1))


def _seed_journal_entries(*, session: Session, region: Organisation, now: dt.datetime) -> None:
    """Load the demo scenarios' entries (``journal.demo.scenarios``) into the entry log, as a server-side
    import writer, so their journals, missions and relations exist as projections of real entries.

    The scenarios are moved to the time of seeding (``journal.demo.live_scenarios``): each ends a few
    minutes before ``now``, so the patients not yet handed over are incoming on the EDs' boards (they
    announce to the seeded Region Syddanmark hospitals by SOR code; FAM OUH gets most). Their units' call
    signs (A-121, LB-1, …) become demo units, and the demo crew is signed on to A-121 from the first
    scenario on. Loaded once: the import writer's incarnation marks a database that has them, so a second
    start (which would move them to a new time, with new ids) adds nothing.
    """
    from journal.demo import live_scenarios
    from server.access.policy import Windows
    from server.sync.clock import ServerClock
    from server.sync.ingest import Uploader, push
    from server.sync.models import StoreIncarnation
    from server.sync.writers import incarnation_of, wire
    from sync.protocol import DEFAULT_MAX_HLC_AHEAD_MS, MAX_PUSH_ENTRIES, PushItem, PushRequest

    writer_id = "demo-import"
    incarnation = incarnation_of(writer_id)
    if session.get(StoreIncarnation, incarnation) is not None:
        return
    entries = [entry for scenario in live_scenarios(now) for entry in scenario.entries]
    first = min(entry.clinical_time.at for entry in entries)
    call_signs = sorted({entry.unit for entry in entries if entry.unit})
    known = set(session.scalars(select(Organisation.call_sign).where(Organisation.call_sign.in_(call_signs))))
    for n, call_sign in enumerate(call_signs, start=900):
        if call_sign not in known:
            create_organisation(
                session=session,
                kind=OrgKind.unit,
                name=f"Demo unit {call_sign}",
                parent_id=region.id,
                sor_id=demo_sor(n),
                gln=demo_gln(n),
                call_sign=call_sign,
                unit_type=UnitType.ambulance,
                demo_identifiers=True,
            )
    scenario_unit = session.scalar(select(Organisation).where(Organisation.call_sign == "A-121"))
    if scenario_unit is not None:
        for username in ("behandler", "assist"):
            person = session.scalar(select(Person).where(Person.username == username))
            if person is not None and person.id not in set(
                session.scalars(select(CrewShift.person_id).where(CrewShift.unit_id == scenario_unit.id))
            ):
                session.add(
                    CrewShift(person_id=person.id, unit_id=scenario_unit.id, started_at=first, ended_at=now)
                )
    clock = ServerClock()
    windows = Windows(documentation=dt.timedelta(hours=12), emergency_department=dt.timedelta(hours=24))
    for start in range(0, len(entries), MAX_PUSH_ENTRIES):
        items = [
            PushItem(device_seq=start + i + 1, entry=wire(entry))
            for i, entry in enumerate(entries[start : start + MAX_PUSH_ENTRIES])
        ]
        push(
            session=session,
            uploader=Uploader(writer_id=writer_id, device=None, audit=None),
            request=PushRequest(device_id=incarnation, incarnation_id=incarnation, items=items),
            clock=clock,
            max_ahead_ms=DEFAULT_MAX_HLC_AHEAD_MS,
            windows=windows,
            audit_writer=None,
            now=now,
        )
