"""The administration page: people, tablets and organisations (administrators only; no journals)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.responses import Response

from server.access.policy import Capability, has_capability
from server.api.deps import CsrfCallerDep, NowDep, SessionDep, WebCaller, WebCallerDep
from server.errors import AccessDenied, Conflict, InvalidInput, NotFound
from server.identity import service as identity
from server.identity.models import Device, Person, Role
from server.orgs import service as orgs
from server.orgs.models import OrgKind, UnitType
from server.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)


def _require_admin(caller: WebCaller) -> None:
    if not has_capability(caller.actor, Capability.manage_accounts):
        raise AccessDenied(f"{caller.person.role.value}: is not an administrator")


def _page(
    request: Request, session: SessionDep, caller: WebCaller, status_code: int = 200, **extra: object
) -> Response:
    context = {
        "caller": caller,
        "csrf_token": caller.web_session.csrf_token,
        "people": list(session.scalars(select(Person).order_by(Person.username))),
        "devices": list(session.scalars(select(Device).order_by(Device.enrolled_at.desc()))),
        "organisations": orgs.list_organisations(session=session),
        "roles": list(Role),
        "kinds": list(OrgKind),
        "unit_types": list(UnitType),
        **extra,
    }
    return render(request, "admin.html", context, status_code)


def _optional(value: str) -> str | None:
    return value.strip() or None


def _optional_id(field: str, value: str) -> uuid.UUID | None:
    if not value.strip():
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(field, "not an id") from None


def _done() -> Response:
    return RedirectResponse("/admin", status_code=303)


@router.get("")
def admin_page(request: Request, caller: WebCallerDep, session: SessionDep) -> Response:
    _require_admin(caller)
    return _page(request, session, caller)


@router.post("/users")
def create_user(
    request: Request,
    caller: CsrfCallerDep,
    session: SessionDep,
    username: str = Form(),
    display_name: str = Form(),
    role: Role = Form(),
    password: str = Form(),
    authorisation_id: str = Form(default=""),
    organisation_id: str = Form(default=""),
) -> Response:
    _require_admin(caller)
    try:
        identity.create_person(
            session=session,
            username=username,
            display_name=display_name,
            role=role,
            password=password,
            authorisation_id=_optional(authorisation_id),
            organisation_id=_optional_id("organisation_id", organisation_id),
        )
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        return _page(request, session, caller, 422, error=exc)
    session.commit()
    return _done()


@router.post("/users/{person_id}/active")
def set_user_active(
    person_id: uuid.UUID, caller: CsrfCallerDep, session: SessionDep, now: NowDep, active: bool = Form()
) -> Response:
    _require_admin(caller)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    identity.set_active(session=session, person=person, active=active, now=now)
    session.commit()
    return _done()


@router.post("/devices")
def enrol_device(
    request: Request, caller: CsrfCallerDep, session: SessionDep, label: str = Form()
) -> Response:
    _require_admin(caller)
    try:
        enrolment = identity.enrol_device(session=session, label=label, enrolled_by=caller.person.id)
    except InvalidInput as exc:
        session.rollback()
        return _page(request, session, caller, 422, error=exc)
    session.commit()
    # Shown once, never stored in clear: the page is not cached (Cache-Control: no-store).
    return _page(request, session, caller, 201, credential=enrolment.credential)


@router.post("/devices/{device_id}/revoke")
def revoke_device(device_id: uuid.UUID, caller: CsrfCallerDep, session: SessionDep, now: NowDep) -> Response:
    _require_admin(caller)
    identity.revoke_device(session=session, device_id=device_id, now=now)
    session.commit()
    return _done()


@router.post("/organisations")
def create_organisation(
    request: Request,
    caller: CsrfCallerDep,
    session: SessionDep,
    kind: OrgKind = Form(),
    name: str = Form(),
    parent_id: str = Form(default=""),
    sor_id: str = Form(default=""),
    gln: str = Form(default=""),
    call_sign: str = Form(default=""),
    unit_type: str = Form(default=""),
    phone: str = Form(default=""),
    municipality_code: str = Form(default=""),
) -> Response:
    _require_admin(caller)
    try:
        orgs.create_organisation(
            session=session,
            kind=kind,
            name=name,
            parent_id=_optional_id("parent_id", parent_id),
            sor_id=_optional(sor_id),
            gln=_optional(gln),
            call_sign=_optional(call_sign.upper()),
            unit_type=UnitType(unit_type) if unit_type else None,
            phone=_optional(phone),
            municipality_code=_optional(municipality_code),
        )
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        return _page(request, session, caller, 422, error=exc)
    session.commit()
    return _done()


@router.post("/organisations/{organisation_id}")
def update_organisation(
    organisation_id: uuid.UUID,
    request: Request,
    caller: CsrfCallerDep,
    session: SessionDep,
    name: str = Form(default=""),
    sor_id: str = Form(default=""),
    gln: str = Form(default=""),
    active: bool = Form(default=True),
    phone: str = Form(default=""),
    municipality_code: str = Form(default=""),
) -> Response:
    _require_admin(caller)
    try:
        orgs.update_organisation(
            session=session,
            organisation_id=organisation_id,
            name=_optional(name),
            sor_id=_optional(sor_id),
            gln=_optional(gln),
            active=active,
            phone=_optional(phone),
            municipality_code=_optional(municipality_code),
        )
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        return _page(request, session, caller, 422, error=exc)
    session.commit()
    return _done()
