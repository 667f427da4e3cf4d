"""The in-memory reference server (``fake_server.FakeSyncServer``) served over loopback HTTP, for the
chaos harness's own tests: ``python -m tests.sync.fake_server_http --port P --state FILE``.

Its state lives in ``FILE`` (a pickle) so that several processes can serve one "database" and a process
killed with SIGKILL comes back with what it had committed. Every request runs under an exclusive
``flock`` on ``FILE.lock``: load the state, handle, write the new state atomically (write, fsync,
rename), unlock, and only then answer. So, as on the real server, a request is committed before its answer
leaves, and a process killed in between loses only the answer.

Besides the sync routes it serves harness routes (loopback only, never through the fault proxy):
``POST /chaos/grant`` ``{"device_id", "journal_id"}``, ``POST /chaos/dump`` ``{"journal_ids"}`` (their
entries, commit logs, quarantine) and ``POST /chaos/forget`` ``{"journal_ids"}`` (drop a checked run's
journals). The harness runs these in its own process through ``handle``, under the same lock. Devices
are named by ``Authorization: Device <id>`` and each sees only the journals granted to it.

``--bug forget`` and ``--bug double-log`` make it a broken server on purpose (every third accepted entry
is answered ``accepted`` but not kept; or listed twice in its journal's commit log), so the harness's tests
can show that the checker catches a server that loses or duplicates entries.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx2

from sync.journal_adapter import clock_after
from sync.protocol import PUSH_PATH, PushResponse, PushResultCode
from tests.sync.fake_server import SERVER_WRITER, FakeSyncServer

_NOBODY = UUID(int=0)


def _empty_state() -> dict[str, Any]:
    return {
        "entries": {},
        "logs": {},
        "quarantine": {},
        "highest_applied": {},
        "incarnation_owner": {},
        "device_access": {},
        "clock_last": None,
    }


class StateFile:
    """The shared "database": one pickle, changed only under the exclusive lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")

    @contextmanager
    def transaction(self) -> Iterator[dict[str, Any]]:
        """The state, locked; written back (atomically) when the block ends without raising."""
        with self._lock_path.open("a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = pickle.loads(self.path.read_bytes()) if self.path.exists() else _empty_state()
                yield state
                tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
                with tmp.open("wb") as out:
                    out.write(pickle.dumps(state))
                    out.flush()
                    os.fsync(out.fileno())
                tmp.replace(self.path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _server_for(state: dict[str, Any], device: UUID) -> FakeSyncServer:
    server = FakeSyncServer(device_id=_NOBODY)
    server.entries = state["entries"]
    server.logs = state["logs"]
    server.quarantine = state["quarantine"]
    server.highest_applied = state["highest_applied"]
    server.incarnation_owner = state["incarnation_owner"]
    server.access = dict(state["device_access"].get(device, {}))
    server.clock = clock_after(writer=SERVER_WRITER, last=state["clock_last"], physical_ms=server._now_ms)
    return server


def _device(headers: dict[str, str]) -> UUID:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return UUID(value) if scheme == "Device" else _NOBODY


def handle(
    state_file: StateFile,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    bug: str | None = None,
) -> tuple[int, bytes]:
    """One request against the shared state: (status, JSON body)."""
    with state_file.transaction() as state:
        if path == "/chaos/forget":
            _forget(state, {UUID(j) for j in json.loads(body)["journal_ids"]})
            return 200, b"{}"
        if path == "/chaos/grant":
            grant = json.loads(body)
            access = state["device_access"].setdefault(UUID(grant["device_id"]), {})
            access.setdefault(UUID(grant["journal_id"]), datetime.now(UTC))
            return 200, b"{}"
        if path == "/chaos/dump":
            return 200, json.dumps(_dump(state, {UUID(j) for j in json.loads(body)["journal_ids"]})).encode()
        server = _server_for(state, _device(headers))
        request = httpx2.Request(method, "http://reference" + path, headers=headers, content=body)
        response = server.handle(request)
        state["clock_last"] = server.clock.last
        if bug is not None and path == PUSH_PATH and response.status_code == 200:
            _break(state, PushResponse.model_validate_json(response.content), bug)
        return response.status_code, response.content


def _break(state: dict[str, Any], response: PushResponse, bug: str) -> None:
    for result in response.results:
        if result.code is not PushResultCode.ACCEPTED:
            continue
        state["accepted_seen"] = state.get("accepted_seen", 0) + 1
        if state["accepted_seen"] % 3:
            continue
        entry = state["entries"][result.entry_id]
        log = state["logs"][entry.journal_id]
        if bug == "forget":
            del state["entries"][result.entry_id]
            log.remove(result.entry_id)
        else:
            log.append(result.entry_id)


def _dump(state: dict[str, Any], journals: set[UUID]) -> dict[str, Any]:
    return {
        "entries": [e.model_dump(mode="json") for e in state["entries"].values() if e.journal_id in journals],
        "logs": {str(j): [str(e) for e in ids] for j, ids in state["logs"].items() if j in journals},
        "quarantine": [
            {"entry": entry.model_dump(mode="json"), "reason": reason.value}
            for entry, reason in state["quarantine"].values()
            if entry.journal_id in journals
        ],
    }


def _forget(state: dict[str, Any], journals: set[UUID]) -> None:
    """Drop the journals of a run the harness has checked (runs never share journals)."""
    state["entries"] = {k: e for k, e in state["entries"].items() if e.journal_id not in journals}
    state["quarantine"] = {k: q for k, q in state["quarantine"].items() if q[0].journal_id not in journals}
    for journal_id in journals:
        state["logs"].pop(journal_id, None)
    for access in state["device_access"].values():
        for journal_id in journals:
            access.pop(journal_id, None)


def serve(*, port: int, state_path: Path, bug: str | None) -> None:
    state_file = StateFile(state_path)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, content = handle(state_file, self.command, self.path, headers, body, bug)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = _respond  # noqa: N815  (http.server's naming)
        do_POST = _respond  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (overrides the base)
            return

    ThreadingHTTPServer.allow_reuse_address = True
    with ThreadingHTTPServer(("127.0.0.1", port), Handler) as httpd:
        httpd.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--bug", choices=["forget", "double-log"], default=None)
    args = parser.parse_args()
    serve(port=args.port, state_path=args.state, bug=args.bug)
