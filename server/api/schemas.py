"""Wire models of the JSON API."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from server.care.models import Journal
from server.identity.models import Person, Role


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=1000)


class EnrolIn(BaseModel):
    code: str = Field(min_length=1, max_length=40, description="the one-time code from `ppj device code`")


class EnrolmentRead(BaseModel):
    device_id: uuid.UUID
    credential: str = Field(description="the device credential, shown once; the tablet keeps it sealed")


class PersonRead(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    authorisation_id: str | None
    organisation_id: uuid.UUID | None

    @classmethod
    def of(cls, person: Person) -> PersonRead:
        return cls(
            id=person.id,
            username=person.username,
            display_name=person.display_name,
            role=person.role,
            authorisation_id=person.authorisation_id,
            organisation_id=person.organisation_id,
        )


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime
    person: PersonRead


class ShiftIn(BaseModel):
    unit_id: uuid.UUID


class ShiftRead(BaseModel):
    id: uuid.UUID
    unit_id: uuid.UUID
    started_at: dt.datetime
    ended_at: dt.datetime | None


class HandoverIn(BaseModel):
    emergency_department_id: uuid.UUID


class EdRelationRead(BaseModel):
    emergency_department_id: uuid.UUID
    kind: str
    at: dt.datetime


class JournalRead(BaseModel):
    id: uuid.UUID
    mission_id: uuid.UUID
    patient_cpr: str | None
    opened_at: dt.datetime
    episode_ended_at: dt.datetime | None
    sandbox: bool
    announcements: list[EdRelationRead]
    handovers: list[EdRelationRead]

    @classmethod
    def of(cls, journal: Journal) -> JournalRead:
        return cls(
            id=journal.id,
            mission_id=journal.mission_id,
            patient_cpr=journal.patient_cpr,
            opened_at=journal.opened_at,
            episode_ended_at=journal.episode_ended_at,
            sandbox=journal.sandbox,
            announcements=[
                EdRelationRead(
                    emergency_department_id=a.emergency_department_id, kind=a.kind.value, at=a.announced_at
                )
                for a in journal.announcements
            ],
            handovers=[
                EdRelationRead(
                    emergency_department_id=h.emergency_department_id, kind="handover", at=h.handed_over_at
                )
                for h in journal.handovers
            ],
        )
