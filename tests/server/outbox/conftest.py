"""Outbox fixtures: a warm validator with PPJ's own package, and a receiver simulator for the world's ED."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from integrations.receiver_simulator.server import ReceiverSimulator
from medcom.fhir_packages import PackageRegistry, default_package_dirs
from medcom.fhir_validator import Validator
from medcom.message_parts import Organisation as MessageOrganisation
from medcom.ppj_package import build_package
from medcom.receiver import MessageReceiver
from server.app import create_app
from server.config import Settings
from server.demo import REGION_DEMO_PHONE, demo_gln, demo_sor
from server.identity.models import Role
from server.orgs.gp_lookup import assign_gp
from server.orgs.models import EndpointKind, Organisation, OrgKind
from server.orgs.service import add_endpoint, create_organisation, update_organisation
from tests.server.outbox.journeys import HOSPITAL, HYPO_CPR, START
from tests.server.sync_tablets import Tablet, make_tablet
from tests.server.world import World


@pytest.fixture(scope="session")
def ppj_validator(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    own = tmp_path_factory.mktemp("ppj-package")
    build_package(own, registry=PackageRegistry(default_package_dirs()))
    return Validator(PackageRegistry([*default_package_dirs(), own]))


@contextmanager
def simulating(
    validator: Validator, sessions: sessionmaker[Session], organisation_id: uuid.UUID
) -> Iterator[ReceiverSimulator]:
    """A receiver simulator for a registry organisation, registered as its HTTP endpoint (plain HTTP on
    loopback, which the registry accepts in development only)."""
    with sessions() as session:
        organisation = session.get_one(Organisation, organisation_id)
        own = MessageOrganisation(
            sor=organisation.sor_id or "", gln=organisation.gln or "", name=organisation.name
        )
    simulator = ReceiverSimulator(MessageReceiver(validator, own=own), name=own.name)
    with simulator.running():
        with sessions() as session:
            add_endpoint(
                session=session,
                organisation_id=organisation_id,
                kind=EndpointKind.fhir_http,
                address=simulator.url,
                allow_loopback_http=True,
            )
            session.commit()
        yield simulator


@pytest.fixture
def hospital(
    ppj_validator: Validator, world: World, sessions: sessionmaker[Session]
) -> Iterator[ReceiverSimulator]:
    """The world's own emergency department as a receiver simulator."""
    with simulating(ppj_validator, sessions, world.ed_own) as simulator:
        yield simulator


@dataclass(frozen=True)
class CareReceivers:
    gp: ReceiverSimulator
    municipality: ReceiverSimulator
    gp_id: uuid.UUID
    municipality_id: uuid.UUID


@pytest.fixture
def care_receivers(
    ppj_validator: Validator, world: World, sessions: sessionmaker[Session]
) -> Iterator[CareReceivers]:
    """What the epikrise and the home-care notice need in the world's registry: the region's contact
    phone, a GP practice with the hypoglycaemia test person listed, and Odense's home care (municipality
    code 0461) — each receiver a simulator."""
    with sessions() as session:
        region = session.scalars(select(Organisation).where(Organisation.kind == OrgKind.region)).one()
        update_organisation(session=session, organisation_id=region.id, phone=REGION_DEMO_PHONE)
        gp = create_organisation(
            session=session,
            kind=OrgKind.gp_practice,
            name="Demo Lægepraksis Odense C",
            parent_id=region.id,
            sor_id=demo_sor(951),
            gln=demo_gln(951),
            demo_identifiers=True,
        )
        assign_gp(session=session, patient_cpr=HYPO_CPR, organisation=gp, source="demo", now=START)
        odense = create_organisation(
            session=session,
            kind=OrgKind.municipality,
            name="Odense Kommune",
            sor_id=demo_sor(952),
            gln=demo_gln(952),
            demo_identifiers=True,
            municipality_code="0461",
        )
        session.commit()
        ids = (gp.id, odense.id)
    with (
        simulating(ppj_validator, sessions, ids[0]) as gp_simulator,
        simulating(ppj_validator, sessions, ids[1]) as municipality_simulator,
    ):
        yield CareReceivers(gp_simulator, municipality_simulator, *ids)


@pytest.fixture
def tablet(
    engine: Engine, database_url: str, sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> Iterator[Tablet]:
    app = create_app(Settings(database_url=database_url), engine=engine)
    made = make_tablet(
        app=app, sessions=sessions, person_id=world.callers[Role.paramediciner].person_id, path=tmp_path / "t"
    )
    yield made
    made.store.close()


@pytest.fixture
def receiver(ppj_validator: Validator) -> Iterator[ReceiverSimulator]:
    with ReceiverSimulator(MessageReceiver(ppj_validator, own=HOSPITAL)).running() as simulator:
        yield simulator
