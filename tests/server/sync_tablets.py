"""Real tablets for server sync tests: a ``LocalStore`` and the reference ``SyncClient`` talking to the
real app through Starlette's TestClient (an ``httpx2.Client``), with real device credentials and tokens.

Entries are real journal entries (``journal.new_entry``) by the world's crew people, on unit T-AMB-1.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from journal.entry import Author, AuthorisationLevel, Entry, Role, new_entry
from journal.hlc import Hlc
from journal.ids import new_uuid7
from journal.kinds.common import PersonRef
from journal.kinds.mission import CrewSignOn
from journal.kinds.record import Note
from journal.payload import Payload
from server.identity.models import Person
from server.identity.service import enrol_device, issue_access_token
from sync.client import SyncClient
from sync.journal_adapter import EntryEnvelope
from sync.store import LocalStore
from tests.sync.factories import DEVICE_SECRET, TEST_KDF, TEST_PIN, TEST_USER

UNIT = "T-AMB-1"


def envelope_of(entry: Entry) -> EntryEnvelope:
    content = json.dumps(entry.content_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return EntryEnvelope.of(
        entry_id=entry.entry_id, journal_id=entry.journal_id, hlc=entry.hlc.encode(), content=content.encode()
    )


@dataclass
class Tablet:
    store: LocalStore
    client: SyncClient
    http: TestClient
    device_id: uuid.UUID
    credential: str
    token: str
    author: Author

    def headers(self) -> dict[str, str]:
        return {"X-PPJ-Device": self.credential, "Authorization": f"Bearer {self.token}"}

    def stamp(self, *, ahead: dt.timedelta = dt.timedelta(0)) -> Hlc:
        wall = round((dt.datetime.now(dt.UTC) + ahead).timestamp() * 1000)
        return Hlc.parse(self.store.new_stamp(wall_ms=wall))

    def entry(
        self,
        journal_id: uuid.UUID,
        payload: Payload | None = None,
        *,
        ahead: dt.timedelta = dt.timedelta(0),
        entry_id: uuid.UUID | None = None,
        unit: str = UNIT,
    ) -> Entry:
        return new_entry(
            entry_id=entry_id,
            journal_id=journal_id,
            payload=payload or Note(text="Patient vågen, klar."),
            author=self.author,
            device_id=str(self.device_id),
            unit=unit,
            clinical_time=dt.datetime.now(dt.UTC),
            hlc=self.stamp(ahead=ahead),
        )

    def capture(self, entry: Entry) -> int:
        return self.store.capture(envelope=envelope_of(entry))

    def open_journal(self) -> uuid.UUID:
        """A new journal on this tablet, opened with the crew's sign-on (unit T-AMB-1)."""
        journal_id = new_uuid7()
        sign_on = CrewSignOn(
            unit=UNIT, members=(PersonRef(name=self.author.name, role=self.author.role.value),)
        )
        self.capture(self.entry(journal_id, sign_on))
        return journal_id


def make_tablet(
    *,
    app: FastAPI,
    sessions: sessionmaker[Session],
    person_id: uuid.UUID,
    path: Path,
    device: tuple[uuid.UUID, str] | None = None,
) -> Tablet:
    """A tablet for ``person_id``: a new enrolled device (unless given) and a device-bound token."""
    with sessions() as session:
        if device is None:
            enrolment = enrol_device(session=session, label=f"tablet {path.name}")
            device = (enrolment.device.id, enrolment.credential)
        person = session.get_one(Person, person_id)
        from server.identity.models import Device

        token = issue_access_token(
            session=session,
            person=person,
            device=session.get_one(Device, device[0]),
            ttl=dt.timedelta(hours=1),
            now=dt.datetime.now(dt.UTC),
        )
        author = Author(
            person_id=str(person.id),
            name=person.display_name,
            role=Role(person.role.value),
            authorisation_level=AuthorisationLevel.AUTHORISED,
        )
        session.commit()
    store = LocalStore.create(
        path=path,
        device_id=device[0],
        user_id=TEST_USER,
        secret=TEST_PIN,
        device_secret=DEVICE_SECRET,
        kdf=TEST_KDF,
    )
    http = TestClient(
        app,
        headers={"X-PPJ-Device": device[1], "Authorization": f"Bearer {token.token}"},
        base_url="http://ppj.test",
    )
    client = SyncClient(store=store, http=http, batch_entries=50, pull_limit=100)
    return Tablet(
        store=store,
        client=client,
        http=http,
        device_id=device[0],
        credential=device[1],
        token=token.token,
        author=author,
    )
