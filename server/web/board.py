"""The ED board: patients announced or handed over to the caller's hospital, live over SSE.

Thin routes over ``server.access.service`` (decides and audits) and ``server.board.view`` (view-models).
Audited once per board session per patient (the board refreshes often; one event per refresh would
drown the citizen's view). Live updates: ``/board/events`` sends a bare ``changed`` event whenever any
journal changed in any server process (``server.board.live``); the page then re-reads ``/board/rows``,
which decides access again — the event itself carries no data.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.responses import Response

from journal.local_time import DANISH_TIME
from server.access import service as access
from server.access.policy import Action, Capability, has_capability
from server.api.deps import (
    BoardAuditingDep,
    CsrfCallerDep,
    NowDep,
    SessionDep,
    SettingsDep,
    WebCaller,
    WebCallerDep,
    WindowsDep,
)
from server.board.chart import HEIGHT, WIDTH, vitals_chart
from server.board.live import ChangeHub
from server.board.pdf import journal_pdf
from server.board.view import board_rows, patient_view
from server.errors import AccessDenied
from server.i18n import translator
from server.web.templating import page_language, render

router = APIRouter(prefix="/board", include_in_schema=False)
HEARTBEAT_SECONDS = 15.0


def _require(caller: WebCaller, capability: Capability = Capability.view_board) -> None:
    if not has_capability(caller.actor, capability):
        raise AccessDenied(f"{caller.person.role.value}: has no ED board")


def _rows_context(
    request: Request,
    caller: WebCaller,
    auditing: BoardAuditingDep,
    session: SessionDep,
    windows: WindowsDep,
    now: NowDep,
) -> dict[str, object]:
    _require(caller)
    journals = access.visible_journals(
        session=session, actor=caller.actor, windows=windows, auditing=auditing, now=now
    )
    rows = board_rows(
        session=session, journals=journals, lang=page_language(request), cache=request.app.state.row_cache
    )
    session.commit()
    return {"caller": caller, "rows": rows, "tz": DANISH_TIME}


@router.get("")
def board(
    request: Request,
    caller: WebCallerDep,
    auditing: BoardAuditingDep,
    session: SessionDep,
    windows: WindowsDep,
    now: NowDep,
) -> Response:
    return render(request, "board.html", _rows_context(request, caller, auditing, session, windows, now))


@router.get("/rows")
def board_rows_fragment(
    request: Request,
    caller: WebCallerDep,
    auditing: BoardAuditingDep,
    session: SessionDep,
    windows: WindowsDep,
    now: NowDep,
) -> Response:
    """The board's table body alone, re-read by the page on each live event."""
    return render(request, "board_rows.html", _rows_context(request, caller, auditing, session, windows, now))


@router.get("/events")
async def board_events(
    request: Request, caller: WebCallerDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """Server-Sent Events: ``changed`` whenever a journal changed in any process; a comment as heartbeat."""
    _require(caller)
    session.close()  # an open stream must not hold a database connection
    hub: ChangeHub = request.app.state.change_hub
    # Subscribe only once the process listens, so an event that follows this answer is never missed.
    await asyncio.to_thread(hub.listening.wait, 5.0)
    queue = hub.subscribe()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.board_stream_seconds

    async def stream() -> AsyncIterator[str]:
        try:
            yield "retry: 1000\n\n"
            while not await request.is_disconnected() and (left := deadline - loop.time()) > 0:
                try:
                    await asyncio.wait_for(queue.get(), timeout=min(HEARTBEAT_SECONDS, left))
                except TimeoutError:
                    yield ": heartbeat\n\n"
                    continue
                yield "event: changed\ndata: {}\n\n"
        finally:
            hub.unsubscribe(queue)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _open(
    request: Request,
    journal_id: uuid.UUID,
    caller: WebCaller,
    auditing: BoardAuditingDep,
    session: SessionDep,
    windows: WindowsDep,
    now: NowDep,
    action: Action = Action.read,
) -> dict[str, object]:
    _require(caller)
    journal = access.open_journal(
        session=session,
        actor=caller.actor,
        action=action,
        journal_id=journal_id,
        windows=windows,
        auditing=auditing,
        now=now,
    )
    view = patient_view(session=session, journal=journal, lang=page_language(request))
    session.commit()
    return {
        "caller": caller,
        "view": view,
        "row": view.row,
        "tz": DANISH_TIME,
        "chart": vitals_chart(view.vitals),
        "chart_width": WIDTH,
        "chart_height": HEIGHT,
        "now": now,
    }


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
    context = _open(request, journal_id, caller, auditing, session, windows, now)
    return render(request, "board_journal.html", context)


@router.get("/journals/{journal_id}/print")
def board_journal_print(
    journal_id: uuid.UUID,
    request: Request,
    caller: WebCallerDep,
    auditing: BoardAuditingDep,
    session: SessionDep,
    windows: WindowsDep,
    now: NowDep,
) -> Response:
    context = _open(request, journal_id, caller, auditing, session, windows, now, action=Action.export)
    return render(request, "board_print.html", context)


@router.get("/journals/{journal_id}/pdf")
def board_journal_pdf(
    journal_id: uuid.UUID,
    request: Request,
    caller: WebCallerDep,
    auditing: BoardAuditingDep,
    session: SessionDep,
    windows: WindowsDep,
    now: NowDep,
) -> Response:
    context = _open(request, journal_id, caller, auditing, session, windows, now, action=Action.export)
    body = journal_pdf(view=context["view"], t=translator(page_language(request)), printed_at=now)  # type: ignore[arg-type]
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="ppj-{journal_id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/journals/{journal_id}/received")
def board_confirm_received(
    journal_id: uuid.UUID,
    request: Request,
    settings: SettingsDep,
    caller: CsrfCallerDep,
    auditing: BoardAuditingDep,
    session: SessionDep,
    windows: WindowsDep,
    now: NowDep,
) -> Response:
    """The receipt ("patient received"): a handover entry with ``confirmed_receipt``, by the person."""
    _require(caller, Capability.confirm_receipt)
    access.confirm_receipt(
        session=session,
        actor=caller.actor,
        actor_name=caller.person.display_name,
        journal_id=journal_id,
        windows=windows,
        auditing=auditing,
        sync=access.ServerWriting(
            clock=request.app.state.sync_clock, max_ahead_ms=settings.sync_max_hlc_ahead_ms
        ),
        now=now,
    )
    session.commit()
    return RedirectResponse(f"/board/journals/{journal_id}", status_code=303)
