"""Accounts, devices, tokens, web sessions, log-in throttling and crew sign-on. Keyword-only services.

Credentials are opaque random strings given to the client once; the database keeps only their SHA-256
(each is ≥ 256 random bits, so a fast hash is safe and the per-request check stays cheap). Every request
re-checks person, token and device in the database, so disabling a person, revoking a device or logging
out takes effect at the next request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from server.errors import AuthenticationFailed, Conflict, InvalidInput, LoginThrottled, NotFound
from server.identity.models import (
    CREW_ROLES,
    AccessToken,
    CrewShift,
    Device,
    EnrolmentCode,
    LoginFailure,
    Person,
    Role,
    WebSession,
)
from server.identity.passwords import (
    MIN_PASSWORD_LENGTH,
    HashedPassword,
    hash_password,
    needs_rehash,
    verify_password,
)
from server.orgs.models import Organisation, OrgKind
from server.orgs.service import RECEIVER_KINDS
from sync.enrolment import ENROLMENT_CODE_ALPHABET, ENROLMENT_CODE_LENGTH, normalise_enrolment_code

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
# Danish authorisation ids (autorisations-ID) are 5 alphanumeric characters, e.g. "0C4TX".
AUTHORISATION_ID_PATTERN = re.compile(r"^[0-9A-Z]{5}$")


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# ---------------------------------------------------------------- people


def create_person(
    *,
    session: Session,
    username: str,
    display_name: str,
    role: Role,
    password: str | HashedPassword,
    authorisation_id: str | None = None,
    organisation_id: uuid.UUID | None = None,
) -> Person:
    """Create an account; the caller commits. Raises InvalidInput naming the field, or Conflict."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidInput("username", "2–80 characters: lower-case letters, digits, '.', '_' or '-'")
    if not display_name.strip():
        raise InvalidInput("display_name", "must not be empty")
    password_hash = _hash(password)
    if authorisation_id is not None and not AUTHORISATION_ID_PATTERN.fullmatch(authorisation_id):
        raise InvalidInput("authorisation_id", "an autorisations-ID is 5 characters, digits or capitals")
    if role is Role.physician and authorisation_id is None:
        raise InvalidInput("authorisation_id", "required for physicians")
    if role is Role.ed_staff:
        hospital = session.get(Organisation, organisation_id) if organisation_id else None
        if hospital is None or hospital.kind is not OrgKind.hospital:
            raise InvalidInput("organisation_id", "ED staff must be bound to a hospital")
    elif role is Role.receiver_system:
        receiver = session.get(Organisation, organisation_id) if organisation_id else None
        if receiver is None or receiver.kind not in RECEIVER_KINDS:
            raise InvalidInput(
                "organisation_id", "a receiving system must be bound to the organisation that receives"
            )
    elif organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise InvalidInput("organisation_id", "no such organisation")
    if session.scalar(select(Person.id).where(Person.username == username)) is not None:
        raise Conflict(f"username {username!r} is taken")
    person = Person(
        username=username,
        display_name=display_name.strip(),
        role=role,
        password_hash=password_hash,
        authorisation_id=authorisation_id,
        organisation_id=organisation_id,
    )
    session.add(person)
    session.flush()
    return person


def _hash(password: str | HashedPassword) -> str:
    if isinstance(password, HashedPassword):
        return password.value
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password", f"at least {MIN_PASSWORD_LENGTH} characters")
    return hash_password(password)


def get_person(*, session: Session, username: str) -> Person:
    person = session.scalar(select(Person).where(Person.username == username.strip().lower()))
    if person is None:
        raise NotFound(f"no user {username!r}")
    return person


def set_password(*, person: Person, password: str | HashedPassword) -> None:
    person.password_hash = _hash(password)


def set_active(*, session: Session, person: Person, active: bool, now: dt.datetime) -> None:
    """Enable or disable an account; disabling also ends its tokens, web sessions and open shift."""
    person.active = active
    if not active:
        session.execute(
            update(AccessToken)
            .where(AccessToken.person_id == person.id, AccessToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        session.execute(
            update(WebSession)
            .where(WebSession.person_id == person.id, WebSession.ended_at.is_(None))
            .values(ended_at=now)
        )
        sign_off(session=session, person=person, now=now)


# ---------------------------------------------------------------- devices


@dataclass(frozen=True)
class Enrolment:
    device: Device
    credential: str  # "<device id>.<secret>", shown once


def enrol_device(
    *,
    session: Session,
    label: str,
    organisation_id: uuid.UUID | None = None,
    enrolled_by: uuid.UUID | None = None,
) -> Enrolment:
    if not label.strip():
        raise InvalidInput("label", "must not be empty")
    secret = new_secret()
    device = Device(
        label=label.strip(),
        secret_sha256=sha256_hex(secret),
        organisation_id=organisation_id,
        enrolled_by=enrolled_by,
    )
    session.add(device)
    session.flush()
    return Enrolment(device=device, credential=f"{device.id}.{secret}")


MAX_ENROLMENT_CODE_MINUTES = 24 * 60


@dataclass(frozen=True)
class IssuedCode:
    code: str  # "ABCD-EFGH-JKLM", shown once
    expires_at: dt.datetime


def issue_enrolment_code(
    *,
    session: Session,
    label: str,
    ttl: dt.timedelta,
    now: dt.datetime,
    organisation_id: uuid.UUID | None = None,
    issued_by: uuid.UUID | None = None,
) -> IssuedCode:
    """A one-time code for one tablet to enrol itself under ``label``; only its SHA-256 is stored."""
    if not label.strip():
        raise InvalidInput("label", "must not be empty")
    if not dt.timedelta(minutes=1) <= ttl <= dt.timedelta(minutes=MAX_ENROLMENT_CODE_MINUTES):
        raise InvalidInput("minutes", f"a code lives 1–{MAX_ENROLMENT_CODE_MINUTES} minutes")
    code = "".join(secrets.choice(ENROLMENT_CODE_ALPHABET) for _ in range(ENROLMENT_CODE_LENGTH))
    row = EnrolmentCode(
        code_sha256=sha256_hex(code),
        label=label.strip(),
        organisation_id=organisation_id,
        issued_by=issued_by,
        issued_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    session.flush()
    return IssuedCode(
        code="-".join(code[i : i + 4] for i in range(0, len(code), 4)), expires_at=row.expires_at
    )


def redeem_enrolment_code(*, session: Session, code: str, now: dt.datetime) -> Enrolment:
    """Enrol the tablet that presents ``code``; the code is spent in the same transaction (the caller
    commits). An unknown, used or expired code gets one and the same refusal."""
    normalised = normalise_enrolment_code(code)
    if normalised is None:
        raise InvalidInput("code", f"an enrolment code is {ENROLMENT_CODE_LENGTH} letters and digits")
    row = session.scalar(select(EnrolmentCode).where(EnrolmentCode.code_sha256 == sha256_hex(normalised)))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise AuthenticationFailed("unknown, used or expired enrolment code")
    # Spend it conditionally, so two tablets racing with one code cannot both enrol.
    spent = session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.id == row.id, EnrolmentCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise AuthenticationFailed("unknown, used or expired enrolment code")
    enrolment = enrol_device(
        session=session, label=row.label, organisation_id=row.organisation_id, enrolled_by=row.issued_by
    )
    session.execute(
        update(EnrolmentCode).where(EnrolmentCode.id == row.id).values(device_id=enrolment.device.id)
    )
    return enrolment


def revoke_device(*, session: Session, device_id: uuid.UUID, now: dt.datetime) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"no device {device_id}")
    if device.revoked_at is None:
        device.revoked_at = now
    return device


def authenticate_device(*, session: Session, credential: str) -> Device:
    device_id, secret = _credential_parts(credential)
    return _checked_device(session.get(Device, device_id), secret)


def _credential_parts(credential: str) -> tuple[uuid.UUID, str]:
    device_id_text, _, secret = credential.partition(".")
    try:
        return uuid.UUID(device_id_text), secret
    except ValueError:
        raise AuthenticationFailed("malformed device credential") from None


def _checked_device(device: Device | None, secret: str) -> Device:
    if device is None or not hmac.compare_digest(device.secret_sha256, sha256_hex(secret)):
        raise AuthenticationFailed("unknown device credential")
    if device.revoked_at is not None:
        raise AuthenticationFailed("device revoked")
    return device


# ---------------------------------------------------------------- log-in


def check_login(
    *,
    session: Session,
    username: str,
    password: str,
    client_ip: str,
    device: Device | None,
    max_failures: int,
    throttle_window: dt.timedelta,
    now: dt.datetime,
) -> Person:
    """The person whose password this is, or AuthenticationFailed; throttled per account + IP.

    A failure is committed by the caller even though the log-in fails: the throttle must remember it.
    """
    username = username.strip().lower()
    since = now - throttle_window
    failures = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(
            LoginFailure.username == username, LoginFailure.client_ip == client_ip, LoginFailure.at > since
        )
    )
    if (failures or 0) >= max_failures:
        oldest = session.scalar(
            select(func.min(LoginFailure.at)).where(
                LoginFailure.username == username,
                LoginFailure.client_ip == client_ip,
                LoginFailure.at > since,
            )
        )
        retry = int(((oldest or now) + throttle_window - now).total_seconds()) + 1
        raise LoginThrottled(retry_after_seconds=max(retry, 1))
    person = session.scalar(select(Person).where(Person.username == username))
    if person is None or not verify_password(person.password_hash, password):
        session.add(LoginFailure(username=username, client_ip=client_ip, at=now))
        raise AuthenticationFailed("wrong username or password")
    if not person.active:
        raise AuthenticationFailed("account disabled")
    if person.role in CREW_ROLES and device is None:
        raise AuthenticationFailed("crew log in through an enrolled device")
    session.execute(
        delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.client_ip == client_ip)
    )
    if needs_rehash(person.password_hash):
        person.password_hash = hash_password(password)
    return person


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: dt.datetime


def issue_access_token(
    *, session: Session, person: Person, device: Device | None, ttl: dt.timedelta, now: dt.datetime
) -> IssuedToken:
    token = new_secret()
    expires_at = now + ttl
    session.add(
        AccessToken(
            token_sha256=sha256_hex(token),
            person_id=person.id,
            device_id=device.id if device else None,
            issued_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return IssuedToken(token=token, expires_at=expires_at)


@dataclass(frozen=True)
class TokenIdentity:
    person: Person
    device: Device | None
    token_id: uuid.UUID


# Built once: every API request authenticates, and building the statement cost as much as running it.
_TOKEN_PERSON = (
    select(AccessToken, Person)
    .join(Person, Person.id == AccessToken.person_id)
    .where(AccessToken.token_sha256 == bindparam("token_sha256"))
)
_DEVICE_TOKEN_PERSON = (
    select(Device, AccessToken, Person)
    .select_from(Device)
    .outerjoin(AccessToken, AccessToken.token_sha256 == bindparam("token_sha256"))
    .outerjoin(Person, Person.id == AccessToken.person_id)
    .where(Device.id == bindparam("device_id"))
)


def authenticate_token(
    *, session: Session, token: str, device_credential: str | None, now: dt.datetime
) -> TokenIdentity:
    """The person (and device) behind a bearer token; device-bound tokens need that device's credential."""
    # The token and its person in one round trip: every API request pays for this.
    found = session.execute(_TOKEN_PERSON, {"token_sha256": sha256_hex(token)}).one_or_none()
    row, person = found if found is not None else (None, None)
    return _checked_token(
        session=session, row=row, person=person, device_credential=device_credential, now=now
    )


def _checked_token(
    *,
    session: Session,
    row: AccessToken | None,
    person: Person | None,
    device_credential: str | None,
    now: dt.datetime,
) -> TokenIdentity:
    if row is None or person is None:
        raise AuthenticationFailed("unknown token")
    if row.revoked_at is not None:
        raise AuthenticationFailed("token revoked")
    if row.expires_at <= now:
        raise AuthenticationFailed("token expired")
    if not person.active:
        raise AuthenticationFailed("account disabled")
    device: Device | None = None
    if row.device_id is not None:
        if device_credential is None:
            raise AuthenticationFailed("device credential required")
        device = authenticate_device(session=session, credential=device_credential)
        if device.id != row.device_id:
            raise AuthenticationFailed("token belongs to another device")
    elif person.role in CREW_ROLES:
        raise AuthenticationFailed("crew tokens must be bound to a device")
    return TokenIdentity(person=person, device=device, token_id=row.id)


def authenticate_device_and_token(
    *, session: Session, credential: str, token: str, now: dt.datetime
) -> tuple[Device, TokenIdentity | AuthenticationFailed]:
    """``authenticate_device`` and then ``authenticate_token`` with that credential, in one round trip
    (every sync request pays for both). The device's failures raise, as there; the token's are returned,
    so the caller decides whether a person is required (a sync push accepts entries without one)."""
    device_id, secret = _credential_parts(credential)
    found = session.execute(
        _DEVICE_TOKEN_PERSON, {"device_id": device_id, "token_sha256": sha256_hex(token)}
    ).one_or_none()
    # Outer joins: the token and person are None when no token has this hash.
    device_row, row, person = found if found is not None else (None, None, None)
    device = _checked_device(device_row, secret)
    try:
        # The device row is in the session now: the token's device check finds it without a query.
        identity = _checked_token(
            session=session, row=row, person=person, device_credential=credential, now=now
        )
    except AuthenticationFailed as failed:
        return device, failed
    return device, identity


def revoke_token(*, session: Session, token_id: uuid.UUID, now: dt.datetime) -> None:
    session.execute(
        update(AccessToken)
        .where(AccessToken.id == token_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# ---------------------------------------------------------------- web sessions


@dataclass(frozen=True)
class StartedSession:
    token: str
    web_session: WebSession


def start_web_session(
    *, session: Session, person: Person, ttl: dt.timedelta, now: dt.datetime
) -> StartedSession:
    token = new_secret()
    web_session = WebSession(
        token_sha256=sha256_hex(token),
        csrf_token=secrets.token_urlsafe(32),
        person_id=person.id,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(web_session)
    session.flush()
    return StartedSession(token=token, web_session=web_session)


def authenticate_web_session(*, session: Session, token: str, now: dt.datetime) -> tuple[Person, WebSession]:
    web_session = session.scalar(select(WebSession).where(WebSession.token_sha256 == sha256_hex(token)))
    if web_session is None or web_session.ended_at is not None:
        raise AuthenticationFailed("no session")
    if web_session.expires_at <= now:
        raise AuthenticationFailed("session expired")
    person = session.get(Person, web_session.person_id)
    if person is None or not person.active:
        raise AuthenticationFailed("account disabled")
    return person, web_session


def end_web_session(*, session: Session, web_session_id: uuid.UUID, now: dt.datetime) -> None:
    session.execute(
        update(WebSession)
        .where(WebSession.id == web_session_id, WebSession.ended_at.is_(None))
        .values(ended_at=now)
    )


# ---------------------------------------------------------------- crew sign-on


def sign_on(
    *, session: Session, person: Person, unit_id: uuid.UUID, device: Device | None, now: dt.datetime
) -> CrewShift:
    """Start a shift on ``unit_id``, ending the person's open shift if there is one."""
    unit = session.get(Organisation, unit_id)
    if unit is None or unit.kind is not OrgKind.unit or not unit.active:
        raise InvalidInput("unit_id", "no active unit with this id")
    sign_off(session=session, person=person, now=now)
    shift = CrewShift(
        person_id=person.id, unit_id=unit_id, device_id=device.id if device else None, started_at=now
    )
    session.add(shift)
    session.flush()
    return shift


def sign_off(*, session: Session, person: Person, now: dt.datetime) -> None:
    session.execute(
        update(CrewShift)
        .where(CrewShift.person_id == person.id, CrewShift.ended_at.is_(None))
        .values(ended_at=now)
    )
