"""``ppj dispatch …``: the dispatch centre's side of the dispatch API, over HTTP.

``DispatchClient`` takes an ``httpx2.Client`` (tests pass the app's TestClient); the commands build one
from ``--server`` and the dispatcher's or dispatch system's bearer token (``PPJ_DISPATCH_TOKEN``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx2
import typer

app = typer.Typer(help="Create, update and cancel missions (dispatch centre, AMK).", no_args_is_help=True)


class DispatchRefused(Exception):
    """Raised when the server answers a dispatch request with an error; ``status`` and ``detail`` say why."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class DispatchClient:
    http: httpx2.Client

    def _answer(self, response: httpx2.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = response.text
            raise DispatchRefused(response.status_code, detail)
        body: dict[str, Any] = response.json()
        return body

    def create(self, mission: dict[str, Any]) -> dict[str, Any]:
        return self._answer(self.http.post("/api/dispatch/missions", json=mission))

    def update(self, mission_id: str, mission: dict[str, Any]) -> dict[str, Any]:
        return self._answer(self.http.put(f"/api/dispatch/missions/{mission_id}", json=mission))

    def cancel(self, mission_id: str, reason: str) -> dict[str, Any]:
        return self._answer(
            self.http.post(f"/api/dispatch/missions/{mission_id}/cancel", json={"reason": reason})
        )


def _client(server: str, token: str) -> DispatchClient:
    return DispatchClient(
        httpx2.Client(base_url=server, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    )


def _mission(
    reference: str, unit: list[str], urgency: str, criterion: str, address: str, notes: str | None
) -> dict[str, Any]:
    return {
        "reference": reference,
        "units": unit,
        "urgency": urgency,
        "criterion": criterion,
        "address": address,
        "notes": notes,
    }


def _run(call: Any) -> None:
    try:
        typer.echo(json.dumps(call(), ensure_ascii=False, indent=2))
    except DispatchRefused as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None


SERVER = typer.Option("http://127.0.0.1:8000", "--server", help="The PPJ server.")
TOKEN = typer.Option(..., "--token", envvar="PPJ_DISPATCH_TOKEN", help="Bearer token (dispatcher or system).")
UNIT = typer.Option(..., "--unit", help="Call sign of an assigned unit (repeat for several).")
URGENCY = typer.Option(..., "--urgency", help="Dansk Indeks response level A–D.")
CRITERION = typer.Option(..., "--criterion", help="Dansk Indeks criterion, e.g. 10.1.")
ADDRESS = typer.Option(..., "--address")
NOTES = typer.Option(None, "--notes")


@app.command()
def create(
    reference: str,
    unit: list[str] = UNIT,
    urgency: str = URGENCY,
    criterion: str = CRITERION,
    address: str = ADDRESS,
    notes: str | None = NOTES,
    server: str = SERVER,
    token: str = TOKEN,
) -> None:
    """Create a mission for one or more units."""
    _run(lambda: _client(server, token).create(_mission(reference, unit, urgency, criterion, address, notes)))


@app.command()
def update(
    mission_id: str,
    reference: str,
    unit: list[str] = UNIT,
    urgency: str = URGENCY,
    criterion: str = CRITERION,
    address: str = ADDRESS,
    notes: str | None = NOTES,
    server: str = SERVER,
    token: str = TOKEN,
) -> None:
    """Replace a mission's details (same reference)."""
    mission = _mission(reference, unit, urgency, criterion, address, notes)
    _run(lambda: _client(server, token).update(mission_id, mission))


@app.command()
def cancel(
    mission_id: str, reason: str = typer.Option(..., "--reason"), server: str = SERVER, token: str = TOKEN
) -> None:
    """Cancel a mission, with the reason."""
    _run(lambda: _client(server, token).cancel(mission_id, reason))
