"""Helpers for the documenting view-model tests: a real encrypted store (cheap KDF), a crew, a record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from journal.entry import Role
from journal.ids import new_uuid7
from sync.crypto import KdfParams
from tablet_app.auth import DemoLogin, PeopleDirectory, Person, SessionPin, StoreAuthenticator, StoreKeyring
from tablet_app.record import LocalRecord
from tablet_app.viewmodels.crew import CrewViewModel
from tablet_app.viewmodels.login import Session
from tests.tablet_app.fakes import ManualClock

TEST_KDF = KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
ANNE = Person("anne", "Anne Ambulancebehandler", Role.AMBULANCEBEHANDLER, "p-anne")
BO = Person("bo", "Bo Paramediciner", Role.PARAMEDICINER, "p-bo")
TEST_CPR = "2509479989"  # MedCom's published test person, never an invented number


@dataclass
class Tablet:
    clock: ManualClock
    keyring: StoreKeyring
    record: LocalRecord
    crew: CrewViewModel
    saves: list[int]
    password: str  # the demo log-in's generated password for user "demo"


def session(person: Person, pin: str, clock: ManualClock) -> Session:
    return Session(person=person, offline_login=False, started_at=clock.now(), pin=SessionPin(pin))


def keyring(tmp_path: Path, device_id: UUID | None = None) -> StoreKeyring:
    return StoreKeyring(
        path=tmp_path / "store.sqlite",
        device_secret=b"d" * 32,
        device_id=device_id or new_uuid7(),
        kdf=TEST_KDF,
    )


def tablet(tmp_path: Path) -> Tablet:
    clock = ManualClock()
    ring = keyring(tmp_path)
    demo = DemoLogin()
    auth = StoreAuthenticator(online=demo, keyring=ring, people=PeopleDirectory(None))
    auth.authenticate(username="demo", password=demo.passwords["demo"])
    assert ring.store is not None
    saves: list[int] = []
    record = LocalRecord(store=ring.store, clock=clock, unit="1-21", on_saved=lambda: saves.append(1))
    crew = CrewViewModel(unit="1-21")
    crew.sign_on(session(ANNE, "2580", clock))
    crew.sign_on(session(BO, "1357", clock))
    return Tablet(clock, ring, record, crew, saves, demo.passwords["demo"])
