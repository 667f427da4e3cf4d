"""The ED board (first version): the patients announced or handed over to the caller's hospital.

Audited once per board session per patient (the board refreshes often; one event per refresh would
drown the citizen's view). Live updates over SSE come with the board issue.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from server.access import service as access
from server.access.policy import Action, Capability, has_capability
from server.api.deps import BoardAuditingDep, NowDep, SessionDep, WebCaller, WebCallerDep, WindowsDep
from server.errors import AccessDenied
from server.web.templating import render

router = APIRouter(prefix="/board", include_in_schema=False)


def _require_board(caller: WebCaller) -> None:
    if not has_capability(caller.actor, Capability.view_board):
        raise AccessDenied(f"{caller.person.role.value}: has no ED board")


@router.get("")
def board(
    request: Request,
    caller: WebCallerDep,
    auditing: BoardAuditingDep,
    session: SessionDep,
    windows: WindowsDep,
    now: NowDep,
) -> Response:
    _require_board(caller)
    journals = access.visible_journals(
        session=session, actor=caller.actor, windows=windows, auditing=auditing, now=now
    )
    session.commit()
    return render(request, "board.html", {"caller": caller, "journals": journals})


@router.get("/journals/{journal_id}")
def board_journal(
    journal_id: uuid.UUID,
    request: Request,
    caller: WebCallerDep,
    auditing: BoardAuditingDep,
    session: SessionDep,
    windows: WindowsDep,
    now: NowDep,
) -> Response:
    _require_board(caller)
    journal = access.open_journal(
        session=session,
        actor=caller.actor,
        action=Action.read,
        journal_id=journal_id,
        windows=windows,
        auditing=auditing,
        now=now,
    )
    session.commit()
    return render(request, "board_journal.html", {"caller": caller, "journal": journal})
