"""The server processes a chaos run talks to: started once, reset to an empty database per run,
restarted (SIGTERM or SIGKILL) in the middle of runs, and read back by the checker.

``ServerBackend`` is what the runner needs of a server. ``ReferenceBackend`` serves the reference
semantics of ``tests/sync/fake_server.py`` from one or two processes sharing one state file
(``tests/sync/fake_server_http.py``; it needs the source tree). The real server (``ppj serve`` over
SQLite or PostgreSQL) is ``server_backend.PpjServerBackend``.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from uuid import UUID

import httpx2

from journal.entry import Author
from ppj.sync_chaos import ServerStartError
from ppj.sync_chaos.tablet import AUTHOR
from sync.journal_adapter import EntryEnvelope
from sync.protocol import WireEntry

_START_TIMEOUT_S = 120.0  # a loaded 2-core CI machine needs tens of seconds to start ppj serve
_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Enrolled:
    """A device as the server knows it: its id, the person who writes on it, and the unit's call sign."""

    device_id: UUID
    author: Author
    unit: str


@dataclass(frozen=True)
class ServerContents:
    """What the server holds: journal entries by id, each journal's commit log (an id listed twice would
    be a duplicate), and the quarantine (entry id → reason)."""

    entries: dict[UUID, EntryEnvelope]
    logs: dict[UUID, list[UUID]]
    quarantined: dict[UUID, str]

    def journal_entries(self, journal_id: UUID) -> list[EntryEnvelope]:
        return [self.entries[e] for e in dict.fromkeys(self.logs.get(journal_id, []))]


class ServerBackend(Protocol):
    """What the runner needs of a server. ``reset`` gives the next run an empty database;
    ``create_journal`` registers a journal before anyone writes to it; ``enrol`` makes a device (and its
    person and unit); ``headers`` is a log-in on
    the device, valid for ``session_s`` seconds (None: the rest of the run)."""

    ports: list[int]

    def start(self) -> None: ...
    def reset(self) -> None: ...
    def create_journal(self, journal_id: UUID) -> None: ...
    def enrol(self, device_id: UUID, label: str) -> Enrolled: ...
    def headers(self, device_id: UUID, *, session_s: float | None) -> dict[str, str]: ...
    def grant(self, *, device_id: UUID, journal_id: UUID) -> None: ...
    def kill(self, process: int, sig: signal.Signals) -> None: ...
    def ensure_running(self) -> None: ...
    def contents(self) -> ServerContents: ...
    def stop(self) -> None: ...


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_listening(port: int, *, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise ServerStartError(f"no server listening on port {port} after {_START_TIMEOUT_S} s")


class ReferenceBackend:
    """``processes`` reference-server processes over one state file in ``workdir``; ``server_args`` go to
    each process (the harness's tests pass ``--bug …`` to break the server on purpose)."""

    def __init__(self, *, workdir: Path, processes: int, server_args: tuple[str, ...] = ()) -> None:
        self._server_args = server_args
        self._state = workdir / "reference-server.pickle"
        self.ports = [free_port() for _ in range(processes)]
        self._procs: list[subprocess.Popen[bytes] | None] = [None] * processes

    def _spawn(self, index: int) -> None:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.sync.fake_server_http",
                "--port",
                str(self.ports[index]),
                "--state",
                str(self._state),
                *self._server_args,
            ],
            cwd=_ROOT,
            stdin=subprocess.DEVNULL,
        )
        self._procs[index] = proc
        wait_listening(self.ports[index], process=proc)

    def start(self) -> None:
        for index in range(len(self.ports)):
            self._spawn(index)

    def ensure_running(self) -> None:
        for index, proc in enumerate(self._procs):
            if proc is None or proc.poll() is not None:
                self._spawn(index)

    def kill(self, process: int, sig: signal.Signals) -> None:
        proc = self._procs[process]
        if proc is not None and proc.poll() is None:
            proc.send_signal(sig)
            proc.wait(timeout=10)

    def restart(self, process: int) -> None:
        self._spawn(process)

    def stop(self) -> None:
        for index in range(len(self._procs)):
            self.kill(index, signal.SIGTERM)

    def _admin(self, method: str, path: str, body: dict[str, str] | None = None) -> httpx2.Response:
        self.ensure_running()
        response = httpx2.request(method, f"http://127.0.0.1:{self.ports[0]}{path}", json=body, timeout=30)
        response.raise_for_status()
        return response

    def reset(self) -> None:
        self._admin("POST", "/chaos/reset")

    def create_journal(self, journal_id: UUID) -> None:
        """Nothing to do: the reference server keeps no journal register, only per-device grants."""

    def enrol(self, device_id: UUID, label: str) -> Enrolled:
        """The planned id: the reference server knows devices by the id in their header."""
        del label
        return Enrolled(device_id=device_id, author=AUTHOR, unit="SYD-AMB-101")

    def headers(self, device_id: UUID, *, session_s: float | None) -> dict[str, str]:
        """The reference server names the device by a header and has no person sessions: ``session_s``
        does not apply to it (the real server's backend makes sessions expire)."""
        del session_s
        return {"Authorization": f"Device {device_id}"}

    def grant(self, *, device_id: UUID, journal_id: UUID) -> None:
        self._admin("POST", "/chaos/grant", {"device_id": str(device_id), "journal_id": str(journal_id)})

    def contents(self) -> ServerContents:
        dump = self._admin("GET", "/chaos/dump").json()
        entries = {}
        for raw in dump["entries"]:
            wire = WireEntry.model_validate(raw)
            entries[wire.entry_id] = wire.to_envelope()
        return ServerContents(
            entries=entries,
            logs={UUID(j): [UUID(e) for e in ids] for j, ids in dump["logs"].items()},
            quarantined={UUID(q["entry"]["entry_id"]): q["reason"] for q in dump["quarantine"]},
        )
