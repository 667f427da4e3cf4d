"""People, roles, enrolled devices, person tokens, web sessions, log-in throttling and crew shifts."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, new_id, str_enum, utcnow
from server.orgs.models import Organisation


class Role(StrEnum):
    dispatcher = "dispatcher"
    dispatch_system = "dispatch_system"
    ambulanceassistent = "ambulanceassistent"
    ambulancebehandler = "ambulancebehandler"
    paramediciner = "paramediciner"
    physician = "physician"
    ed_staff = "ed_staff"
    integrator = "integrator"
    administrator = "administrator"
    # A receiving system (hospital EPJ, GP system, municipal system) posting its MedCom Acknowledgements of
    # the messages PPJ sent it; bound to that receiver organisation (or one above it).
    receiver_system = "receiver_system"


# The roles that document on tablets: they sign on to units and log in through an enrolled device.
CREW_ROLES = frozenset({Role.ambulanceassistent, Role.ambulancebehandler, Role.paramediciner, Role.physician})


class Person(Base):
    __tablename__ = "people"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    password_hash: Mapped[str] = mapped_column(String(200))
    # The Danish authorisation register id (autorisations-ID); required for physicians.
    authorisation_id: Mapped[str | None] = mapped_column(String(20))
    # ED staff: their hospital. Others: their employer (region), optional.
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()


class Device(Base):
    """An enrolled tablet. Its secret is shown once at enrolment; only its SHA-256 is stored.

    SHA-256 (not argon2) is enough because the secret is 256 random bits, and it keeps the per-request
    check cheap: the credential is verified on every request, so a revocation holds from the next one.
    """

    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    label: Mapped[str] = mapped_column(String(120))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    enrolled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    enrolled_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    revoked_at: Mapped[dt.datetime | None]


class EnrolmentCode(Base):
    """A one-time code an administrator issues (``ppj device code``) for one tablet to enrol itself
    (``POST /api/devices/enrol``). Short-lived, used once; stored as SHA-256 like a device secret (the code
    carries ~60 random bits and expires in minutes, and a use marks it spent in the same transaction)."""

    __tablename__ = "enrolment_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))


class AccessToken(Base):
    """A person's short-lived API token, opaque to the client; stored as SHA-256 so a leak of the table
    gives no usable token. Bound to the device it was issued through, when there was one."""

    __tablename__ = "access_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class WebSession(Base):
    """A browser session (ED board, admin page): cookie token stored as SHA-256, plus its CSRF token."""

    __tablename__ = "web_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    ended_at: Mapped[dt.datetime | None]


class LoginFailure(Base):
    """One failed log-in. Kept in the database so the throttle holds across server processes."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_username_ip_at", "username", "client_ip", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(80))
    client_ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CrewShift(Base):
    """A person signed on to a unit for a shift; open while ``ended_at`` is empty."""

    __tablename__ = "crew_shifts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None]
