"""Outbox fixtures: a warm validator with PPJ's own package, and a receiver simulator for the world's ED."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from integrations.receiver_simulator.server import ReceiverSimulator
from medcom.fhir_packages import PackageRegistry, default_package_dirs
from medcom.fhir_validator import Validator
from medcom.message_parts import Organisation as MessageOrganisation
from medcom.ppj_package import build_package
from medcom.receiver import MessageReceiver
from server.app import create_app
from server.config import Settings
from server.identity.models import Role
from server.orgs.models import EndpointKind, MessageEndpoint, Organisation
from tests.server.outbox.journeys import HOSPITAL
from tests.server.sync_tablets import Tablet, make_tablet
from tests.server.world import World


@pytest.fixture(scope="session")
def ppj_validator(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    own = tmp_path_factory.mktemp("ppj-package")
    build_package(own, registry=PackageRegistry(default_package_dirs()))
    return Validator(PackageRegistry([*default_package_dirs(), own]))


@pytest.fixture
def hospital(
    ppj_validator: Validator, world: World, sessions: sessionmaker[Session]
) -> Iterator[ReceiverSimulator]:
    """The world's own emergency department as a receiver simulator, registered as its HTTP endpoint.

    The row is written directly: the registry's service accepts only https:// endpoints, and the
    simulator listens on plain loopback HTTP."""
    with sessions() as session:
        ed = session.get_one(Organisation, world.ed_own)
        own = MessageOrganisation(sor=ed.sor_id or "", gln=ed.gln or "", name=ed.name)
    simulator = ReceiverSimulator(MessageReceiver(ppj_validator, own=own), name="FAM OUH")
    with simulator.running():
        with sessions() as session:
            session.add(
                MessageEndpoint(
                    organisation_id=world.ed_own, kind=EndpointKind.fhir_http, address=simulator.url
                )
            )
            session.commit()
        yield simulator


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
