"""``ppj outbox list|show|retry|work``: the outgoing messages from the console. Thin: parse, call, print."""

from __future__ import annotations

import json
import time

import typer
from rich.table import Table

from ppj.admin_cli import _now, _session, console
from server.outbox.states import DeliveryState

app = typer.Typer(help="Outgoing MedCom messages and their deliveries.", no_args_is_help=True)


@app.command("list")
def outbox_list(
    state: DeliveryState | None = typer.Option(None, "--state", help="Only deliveries in this state."),
    limit: int = typer.Option(200, "--limit", min=1),
) -> None:
    """Deliveries, newest first: message id, type, receiver, state, attempts, error code."""
    from server.outbox.service import list_deliveries

    with _session() as session:
        views = list_deliveries(session=session, state=state, limit=limit)
    table = Table("message id", "type", "receiver", "state", "attempts", "error", "ack", "updated")
    for v in views:
        table.add_row(
            str(v.message_id),
            v.message_type,
            v.receiver or "–",
            v.state.value,
            str(v.attempts),
            v.error_code or "",
            v.ack_code or "",
            f"{v.updated_at:%Y-%m-%d %H:%M:%S}",
        )
    console.print(table)


@app.command("show")
def outbox_show(key: str = typer.Argument(..., help="Delivery id or message id (MessageHeader.id).")) -> None:
    """One delivery with its attempts (Bundle.id per transmission), as JSON."""
    from server.outbox.service import show_delivery

    with _session() as session:
        view = show_delivery(session=session, key=key)
    print(json.dumps(view.as_json(), indent=2, ensure_ascii=False))


@app.command("retry")
def outbox_retry(
    key: str = typer.Argument(..., help="Delivery id or message id (MessageHeader.id)."),
) -> None:
    """Send a dead-lettered, rejected or held delivery again from the start."""
    from server.outbox.errors import RetryRefused
    from server.outbox.service import retry_delivery

    with _session() as session:
        try:
            view = retry_delivery(session=session, key=key, now=_now())
        except RetryRefused as exc:
            console.print(f"[red]refused:[/red] {exc}")
            raise typer.Exit(2) from None
        session.commit()
    console.print(f"delivery {view.delivery_id} {view.state.value} again")


@app.command("work")
def outbox_work(
    once: bool = typer.Option(False, "--once", help="Work until nothing is due, then stop."),
    poll_seconds: float = typer.Option(2.0, "--poll", help="Seconds to wait when nothing is due."),
    timeout_seconds: float = typer.Option(30.0, "--timeout", help="HTTP timeout per transmission."),
    max_attempts: int = typer.Option(3, "--max-attempts", min=1, help="Transmissions before dead letter."),
    ack_timeout_minutes: float = typer.Option(30.0, "--ack-timeout", help="Minutes to wait for an ack."),
    name: str = typer.Option("", "--name", help="Worker name in the attempt log (default: host:pid)."),
) -> None:
    """Deliver due messages over HTTP (PPJ_DATABASE_URL); run several on PostgreSQL to scale out."""
    import datetime as dt
    import os
    import socket

    import httpx2

    from integrations.delivery.http import HttpDelivery
    from server.config import Settings
    from server.db import make_engine, make_session_factory
    from server.outbox.worker import OutboxWorker, RetryPolicy

    engine = make_engine(Settings().database_url)
    policy = RetryPolicy(
        max_attempts=max_attempts,
        ack_timeout=dt.timedelta(minutes=ack_timeout_minutes),
        lease=dt.timedelta(seconds=timeout_seconds * 2 + 30),
    )
    worker = OutboxWorker(
        make_session_factory(engine),
        HttpDelivery(httpx2.Client(timeout=timeout_seconds)),
        policy=policy,
        name=name or f"{socket.gethostname()}:{os.getpid()}",
    )
    try:
        while True:
            for recorded in worker.run_until_idle():
                code = f" ({recorded.error_code.value})" if recorded.error_code else ""
                console.print(f"delivery {recorded.delivery_id}: {recorded.state.value}{code}")
            if once:
                return
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        worker.delivery.client.close()
        engine.dispose()
