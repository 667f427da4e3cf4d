"""API log-in, log-out, who-am-I and crew sign-on."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, status

from server.access.policy import Capability, has_capability
from server.api.deps import DEVICE_HEADER, ApiCallerDep, NowDep, SessionDep, SettingsDep, client_ip
from server.api.schemas import EnrolIn, EnrolmentRead, LoginIn, PersonRead, ShiftIn, ShiftRead, TokenRead
from server.errors import AccessDenied, AuthenticationFailed
from server.identity import service as identity
from server.identity.models import Device

router = APIRouter(prefix="/api", tags=["identity"])


@router.post("/auth/login")
def login(
    body: LoginIn, request: Request, session: SessionDep, settings: SettingsDep, now: NowDep
) -> TokenRead:
    """Log in with username and password; crew must log in through an enrolled device (X-PPJ-Device)."""
    device: Device | None = None
    credential = request.headers.get(DEVICE_HEADER)
    if credential is not None:
        device = identity.authenticate_device(session=session, credential=credential)
    try:
        person = identity.check_login(
            session=session,
            username=body.username,
            password=body.password,
            client_ip=client_ip(request),
            device=device,
            max_failures=settings.login_max_failures,
            throttle_window=dt.timedelta(minutes=settings.login_throttle_minutes),
            now=now,
        )
    except AuthenticationFailed:
        session.commit()  # the recorded failure must survive the refusal: it feeds the throttle
        raise
    issued = identity.issue_access_token(
        session=session,
        person=person,
        device=device,
        ttl=dt.timedelta(minutes=settings.access_token_minutes),
        now=now,
    )
    session.commit()
    return TokenRead(access_token=issued.token, expires_at=issued.expires_at, person=PersonRead.of(person))


@router.post("/devices/enrol", status_code=status.HTTP_201_CREATED)
def enrol_device(body: EnrolIn, session: SessionDep, now: NowDep) -> EnrolmentRead:
    """A tablet enrols itself with a one-time code an administrator issued (``ppj device code``); no
    person is logged in yet, the code is the authentication. The credential is in this answer only."""
    enrolment = identity.redeem_enrolment_code(session=session, code=body.code, now=now)
    session.commit()
    return EnrolmentRead(device_id=enrolment.device.id, credential=enrolment.credential)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(caller: ApiCallerDep, session: SessionDep, now: NowDep) -> None:
    identity.revoke_token(session=session, token_id=caller.token_id, now=now)
    session.commit()


@router.get("/me")
def me(caller: ApiCallerDep) -> PersonRead:
    return PersonRead.of(caller.person)


@router.post("/shifts", status_code=status.HTTP_201_CREATED)
def sign_on(body: ShiftIn, caller: ApiCallerDep, session: SessionDep, now: NowDep) -> ShiftRead:
    """Sign the calling crew member on to a unit (ending any open shift)."""
    if not has_capability(caller.actor, Capability.sign_on_unit):
        raise AccessDenied(f"{caller.person.role.value}: does not sign on to units")
    shift = identity.sign_on(
        session=session, person=caller.person, unit_id=body.unit_id, device=caller.device, now=now
    )
    session.commit()
    return ShiftRead(id=shift.id, unit_id=shift.unit_id, started_at=shift.started_at, ended_at=shift.ended_at)


@router.post("/shifts/end", status_code=status.HTTP_204_NO_CONTENT)
def sign_off(caller: ApiCallerDep, session: SessionDep, now: NowDep) -> None:
    if not has_capability(caller.actor, Capability.sign_on_unit):
        raise AccessDenied(f"{caller.person.role.value}: does not sign on to units")
    identity.sign_off(session=session, person=caller.person, now=now)
    session.commit()
