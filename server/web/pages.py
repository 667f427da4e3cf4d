"""Front page, log-in and log-out of the web pages (session cookie; CSRF on every POST)."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from server.access.policy import Capability, has_capability
from server.api.deps import (
    SESSION_COOKIE,
    CsrfCallerDep,
    NowDep,
    SessionDep,
    SettingsDep,
    actor_of,
    client_ip,
)
from server.errors import AuthenticationFailed, CsrfFailed, LoginThrottled
from server.identity import service as identity
from server.web.templating import render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "ppj_login_csrf"


@router.get("/")
def index(request: Request) -> Response:
    return render(request, "index.html")


@router.get("/login")
def login_form(request: Request, settings: SettingsDep) -> Response:
    # Log-in CSRF: a double-submit token, since there is no session yet to hold one.
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", {"csrf_token": token})
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=not settings.is_development,
        max_age=3600,
    )
    return response


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    username: str = Form(max_length=80),
    password: str = Form(max_length=1000),
    csrf_token: str = Form(default=""),
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        raise CsrfFailed()
    try:
        person = identity.check_login(
            session=session,
            username=username,
            password=password,
            client_ip=client_ip(request),
            device=None,
            max_failures=settings.login_max_failures,
            throttle_window=dt.timedelta(minutes=settings.login_throttle_minutes),
            now=now,
        )
    except LoginThrottled as exc:
        session.commit()
        return render(
            request, "login.html", {"csrf_token": csrf_token, "throttled": exc.retry_after_seconds}, 429
        )
    except AuthenticationFailed:
        session.commit()  # keep the failure: it feeds the throttle
        return render(request, "login.html", {"csrf_token": csrf_token, "failed": True}, 401)
    started = identity.start_web_session(
        session=session, person=person, ttl=dt.timedelta(hours=settings.web_session_hours), now=now
    )
    session.commit()
    actor = actor_of(person)
    target = "/board" if has_capability(actor, Capability.view_board) else "/admin"
    if not (
        has_capability(actor, Capability.view_board) or has_capability(actor, Capability.manage_accounts)
    ):
        target = "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        started.token,
        httponly=True,
        samesite="strict",
        secure=not settings.is_development,
        max_age=int(settings.web_session_hours * 3600),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(caller: CsrfCallerDep, session: SessionDep, now: NowDep) -> Response:
    identity.end_web_session(session=session, web_session_id=caller.web_session.id, now=now)
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
