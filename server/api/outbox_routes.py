"""Outbox administration and the integrators' sandbox. Thin: decide the role, call server.outbox, answer.

* ``GET /api/admin/deliveries``, ``GET /api/admin/deliveries/{key}``, ``POST …/{key}/retry`` and the page
  ``GET /admin/outbox`` — administrators only; message ids, receiver, state and error codes, no clinical
  content;
* ``POST /sandbox/medcom`` — integrators only: a MedCom message (JSON or XML) in, its Acknowledgement out
  (never a 5xx for bad input; 413 over the size limit); ``GET /sandbox`` — the integrator's own rows;
* ``POST /medcom/acknowledgements`` — receiving systems only: the Acknowledgement of a message PPJ sent
  them, posted later (server.outbox.acknowledgements).
"""

from __future__ import annotations

import functools
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from medcom.fhir_packages import PackageRegistry, default_package_dirs
from medcom.fhir_validator import Validator
from medcom.ppj_package import build_package
from server.access.policy import Actor, Capability, has_capability
from server.api.deps import ApiCallerDep, NowDep, SessionDep, WebCallerDep
from server.errors import AccessDenied, Conflict
from server.identity.models import Role
from server.outbox import acknowledgements, sandbox, service
from server.outbox.errors import RetryRefused
from server.outbox.states import DeliveryState
from server.web.templating import render

router = APIRouter()
_validator_lock = threading.Lock()


def _require_admin(actor: Actor) -> None:
    if not has_capability(actor, Capability.manage_accounts):
        raise AccessDenied(f"{actor.role.value}: is not an administrator")


def _require_integrator(actor: Actor) -> None:
    if actor.role is not Role.integrator:
        raise AccessDenied(f"{actor.role.value}: the sandbox is for integrators")


@functools.cache
def sandbox_validator() -> Validator:
    """The official MedCom packages plus PPJ's own profiles, built once per process on first use (the
    packages never change while the process runs; the validator is read-only and thread-safe)."""
    with _validator_lock:
        own = Path(tempfile.mkdtemp(prefix="ppj-package-"))
        build_package(own, registry=PackageRegistry(default_package_dirs()))
        return Validator(PackageRegistry([*default_package_dirs(), own]))


async def limited_body(request: Request) -> bytes | None:
    """The request body, or None as soon as it is larger than the sandbox's limit (not read further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > sandbox.MAX_SANDBOX_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > sandbox.MAX_SANDBOX_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/api/admin/deliveries", tags=["outbox"])
def list_deliveries(
    caller: ApiCallerDep, session: SessionDep, state: DeliveryState | None = None
) -> list[dict[str, Any]]:
    _require_admin(caller.actor)
    return [view.as_json() for view in service.list_deliveries(session=session, state=state)]


@router.get("/api/admin/deliveries/{key}", tags=["outbox"])
def show_delivery(key: str, caller: ApiCallerDep, session: SessionDep) -> dict[str, Any]:
    _require_admin(caller.actor)
    return service.show_delivery(session=session, key=key).as_json()


@router.post("/api/admin/deliveries/{key}/retry", tags=["outbox"])
def retry_delivery(key: str, caller: ApiCallerDep, session: SessionDep, now: NowDep) -> dict[str, Any]:
    _require_admin(caller.actor)
    try:
        view = service.retry_delivery(session=session, key=key, now=now)
    except RetryRefused as exc:
        raise Conflict(str(exc)) from None
    session.commit()
    return view.as_json()


@router.get("/admin/outbox", include_in_schema=False)
def outbox_page(request: Request, caller: WebCallerDep, session: SessionDep) -> Response:
    _require_admin(caller.actor)
    deliveries = service.list_deliveries(session=session)
    return render(request, "outbox.html", {"caller": caller, "deliveries": deliveries})


@router.post("/sandbox/medcom", tags=["sandbox"])
def post_to_sandbox(
    request: Request,
    caller: ApiCallerDep,
    session: SessionDep,
    now: NowDep,
    body: Annotated[bytes | None, Depends(limited_body)],
) -> Response:
    """Post a MedCom message (FHIR JSON or XML); the answer is its Acknowledgement (server.outbox.sandbox)."""
    _require_integrator(caller.actor)
    if body is None:
        answer = sandbox.refusal(
            413, f"the message is larger than the sandbox's limit of {sandbox.MAX_SANDBOX_BYTES} bytes"
        )
    else:
        answer = sandbox.receive_in_sandbox(
            session=session,
            validator=sandbox_validator(),
            integrator_id=caller.person.id,
            body=body,
            content_type=request.headers.get("content-type", ""),
            now=now,
        )
        session.commit()
    headers = {"X-PPJ-Duplicate": "true"} if answer.duplicate else {}
    return Response(answer.body, status_code=answer.status, media_type=answer.content_type, headers=headers)


@router.post("/medcom/acknowledgements", tags=["outbox"])
def post_acknowledgement(
    caller: ApiCallerDep,
    session: SessionDep,
    now: NowDep,
    body: Annotated[bytes | None, Depends(limited_body)],
) -> Response:
    """A receiver's Acknowledgement of a message PPJ sent it (FHIR JSON or XML); closes the delivery."""
    if caller.actor.role is not Role.receiver_system:
        raise AccessDenied(f"{caller.actor.role.value}: acknowledgements are posted by receiving systems")
    if body is None:
        refused = sandbox.refusal(413, f"an acknowledgement is at most {sandbox.MAX_SANDBOX_BYTES} bytes")
        return Response(refused.body, status_code=refused.status, media_type=refused.content_type)
    answer = acknowledgements.receive_acknowledgement(
        session=session,
        validator=sandbox_validator(),
        caller_organisation_id=caller.person.organisation_id,
        body=body,
        now=now,
    )
    session.commit()
    return Response(answer.body, status_code=answer.status, media_type=answer.content_type)


@router.get("/sandbox", include_in_schema=False)
def sandbox_page(request: Request, caller: WebCallerDep, session: SessionDep) -> Response:
    _require_integrator(caller.actor)
    rows = sandbox.list_received(session=session, integrator_id=caller.person.id)
    listed = [(row, sandbox.issue_lines(row)) for row in rows]
    return render(request, "sandbox.html", {"caller": caller, "rows": listed})
