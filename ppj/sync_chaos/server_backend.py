"""The real server as a chaos backend: ``ppj serve`` processes over one database (SQLite file, or a
fresh PostgreSQL schema), set up and read back through the server's own models.

One database and its server processes serve every run of a series; each run has its own journals,
devices, people and units, and is checked on its own journals. Each tablet is a crew person
(ambulancebehandler) with an enrolled device, signed on to a unit of its own; a journal is a mission with a
journal row; granting a device a journal assigns its unit to the journal's mission (so a late grant is a
unit joining a mission: the device then backfills it). A device with a short session gets a token that
expires mid-run — pushes go on (the author is in the entry), pulls are refused until the final sync,
before which the person "logs in again" (a new token).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import uuid
from collections.abc import Collection
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from journal.entry import Author, AuthorisationLevel
from journal.entry import Role as JournalRole
from ppj.sync_chaos.backend import Enrolled, ServerContents, ServerFleet
from ppj.sync_chaos.forks import Zygote
from server import migrate
from server.care.models import Journal, Mission, MissionUnit
from server.db import make_engine, make_session_factory
from server.identity.models import Device, Person, Role
from server.identity.passwords import HashedPassword
from server.identity.service import create_person, enrol_device, issue_access_token, sign_on
from server.orgs.models import OrgKind, UnitType
from server.orgs.service import create_organisation
from server.sync.models import EntryRow, QuarantinedEntry
from server.sync.projections import journal_mission_id
from sync.journal_adapter import EntryEnvelope

_SESSION_S = 3600.0


@functools.cache
def _password() -> HashedPassword:
    """One hash for every harness person (Argon2 is slow on purpose; nobody logs in with it)."""
    return HashedPassword.of("chaos-harness-password-never-used")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PpjServerBackend:
    """``ppj serve`` processes over one database: ``database`` is ``sqlite`` (a file in ``workdir``) or a
    PostgreSQL URL whose database gets one fresh schema for the series."""

    def __init__(self, *, workdir: Path, database: str, keep: bool = False) -> None:
        self._workdir = workdir
        self._database = database
        self._keep = keep
        self._schema: str | None = None
        self._url = ""
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._devices: dict[uuid.UUID, tuple[uuid.UUID, str, uuid.UUID]] = {}  # device → person, cred, unit
        self._region: uuid.UUID | None = None

    # ------------------------------------------------------------------------------- processes

    def start(self) -> ServerFleet:
        """Make and migrate the database once, and start the warm server zygote on it."""
        if self._database == "sqlite":
            self._url = f"sqlite:///{self._workdir / 'server.db'}"
        else:
            schema = f"chaos_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            self._admin_sql(f'CREATE SCHEMA "{schema}"')
            self._schema = schema
            separator = "&" if "?" in self._database else "?"
            self._url = f"{self._database}{separator}options=-csearch_path%3D{schema}"
        engine = make_engine(self._url)
        migrate.upgrade(engine=engine)
        self._engine = engine
        self._sessions = make_session_factory(engine)
        with self._sessions() as session:
            region = create_organisation(session=session, kind=OrgKind.region, name="Chaos Region")
            self._region = region.id
            session.commit()
        env = {
            **os.environ,
            "PPJ_DATABASE_URL": self._url,
            "PPJ_ENVIRONMENT": "development",
            "PPJ_SECRET_KEY": "chaos-harness-secret-key-0123456789abcdef",
        }
        return ServerFleet(
            zygote=Zygote("ppj-server", env=env),
            spec=lambda port: json.dumps({"port": port}),
            logs=self._workdir / "server",
        )

    def stop(self) -> None:
        """Close the harness's connections and drop the series' PostgreSQL schema (unless kept); the
        server processes are the fleet's to stop, before this."""
        if self._engine is not None:
            self._engine.dispose()
        if self._schema is not None and not self._keep:
            self._admin_sql(f'DROP SCHEMA "{self._schema}" CASCADE')
            self._schema = None

    def _admin_sql(self, statement: str) -> None:
        admin = make_engine(self._database)
        try:
            with admin.begin() as conn:
                conn.exec_driver_sql(statement)
        finally:
            admin.dispose()

    # -------------------------------------------------------------------------------- database

    def forget(self, journals: Collection[uuid.UUID]) -> None:
        """Nothing to drop: the run's rows stay in the database (``--keep`` keeps it for a look); runs
        never share journals, devices, people or units, and ``contents`` reads one run's journals."""
        del journals

    def _session(self) -> Session:
        assert self._sessions is not None, "reset() makes the database first"
        return self._sessions()

    def create_journal(self, journal_id: uuid.UUID) -> None:
        with self._session() as session:
            # The mission the server's projections give a journal opened on a tablet (no dispatch
            # assignment): so re-projecting the journal after a push keeps the units granted to it.
            mission = Mission(id=journal_mission_id(journal_id), created_at=_now())
            session.add(mission)
            session.flush()
            session.add(Journal(id=journal_id, mission_id=mission.id, patient_cpr=None, opened_at=_now()))
            session.commit()

    def enrol(self, device_id: uuid.UUID, label: str) -> Enrolled:
        """A crew person signed on to a unit of its own through a newly enrolled device. The server makes
        the device id (``device_id``, the plan's, is not used)."""
        del device_id
        call_sign = f"CHAOS-{label.upper()}"
        with self._session() as session:
            unit = create_organisation(
                session=session,
                kind=OrgKind.unit,
                name=f"Chaos {label}",
                parent_id=self._region,
                call_sign=call_sign,
                unit_type=UnitType.ambulance,
            )
            person = create_person(
                session=session,
                username=f"chaos-{label}",
                display_name=f"Chaos {label}",
                role=Role.ambulancebehandler,
                password=_password(),
                authorisation_id=None,
                organisation_id=self._region,
            )
            enrolment = enrol_device(session=session, label=f"chaos tablet {label}", organisation_id=unit.id)
            device = enrolment.device
            sign_on(session=session, person=person, unit_id=unit.id, device=device, now=_now())
            self._devices[device.id] = (person.id, enrolment.credential, unit.id)
            author = Author(
                person_id=str(person.id),
                name=person.display_name,
                role=JournalRole.AMBULANCEBEHANDLER,
                authorisation_level=AuthorisationLevel.AUTHORISED,
            )
            session.commit()
        return Enrolled(device_id=device.id, author=author, unit=call_sign)

    def headers(self, device_id: uuid.UUID, *, session_s: float | None) -> dict[str, str]:
        """A log-in on the device: a device-bound token valid for ``session_s`` seconds (None: an hour)."""
        person_id, credential, _unit = self._devices[device_id]
        with self._session() as session:
            token = issue_access_token(
                session=session,
                person=session.get_one(Person, person_id),
                device=session.get_one(Device, device_id),
                ttl=dt.timedelta(seconds=_SESSION_S if session_s is None else session_s),
                now=_now(),
            )
            session.commit()
        return {"X-PPJ-Device": credential, "Authorization": f"Bearer {token.token}"}

    def grant(self, *, device_id: uuid.UUID, journal_id: uuid.UUID) -> None:
        _person, _credential, unit_id = self._devices[device_id]
        with self._session() as session:
            journal = session.get_one(Journal, journal_id)
            session.add(MissionUnit(mission_id=journal.mission_id, unit_id=unit_id, assigned_at=_now()))
            session.commit()

    def contents(self, journals: Collection[uuid.UUID]) -> ServerContents:
        with self._session() as session:
            rows = session.execute(
                select(
                    EntryRow.entry_id,
                    EntryRow.journal_id,
                    EntryRow.hlc,
                    EntryRow.content,
                    EntryRow.content_hash,
                )
                .where(EntryRow.journal_id.in_(list(journals)))
                .order_by(EntryRow.journal_id, EntryRow.position)
            ).all()
            quarantine = session.execute(
                select(QuarantinedEntry.entry_id, QuarantinedEntry.reason).where(
                    QuarantinedEntry.journal_id.in_(list(journals))
                )
            ).all()
        entries: dict[uuid.UUID, EntryEnvelope] = {}
        logs: dict[uuid.UUID, list[uuid.UUID]] = {}
        for entry_id, journal_id, hlc, content, content_hash in rows:
            entries[entry_id] = EntryEnvelope(
                entry_id, journal_id, hlc, content.encode("utf-8"), content_hash
            )
            logs.setdefault(journal_id, []).append(entry_id)
        return ServerContents(
            entries=entries, logs=logs, quarantined={row.entry_id: row.reason for row in quarantine}
        )
