"""The servers chaos runs talk to: one database per series, server processes over it (forked from a warm
zygote, so a restart costs a fork and the server's own start, not seconds of imports), restarted (SIGTERM
or SIGKILL) in the middle of runs, and read back by the checker.

``ServerBackend`` is what the runner needs of a server's database side; ``ServerProcesses`` is one set of
server processes over it (each slot of concurrent runs has its own, so a run's planned restarts hit its
own processes only). ``ReferenceBackend`` serves the reference semantics of ``tests/sync/fake_server.py``
from processes sharing one state file (``tests/sync/fake_server_http.py``; it needs the source tree). The
real server (``ppj serve`` over SQLite or PostgreSQL) is ``server_backend.PpjServerBackend``.
"""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from uuid import UUID

from journal.entry import Author
from ppj.sync_chaos import ChaosError, ServerStartError
from ppj.sync_chaos.forks import Zygote
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
    """The database side of a series, shared by every run (and by runs going on at the same time).
    ``start`` makes the database and returns the warm server zygote over it, from which each slot of
    concurrent runs forks its own set of server processes; ``create_journal`` registers a
    journal before anyone writes to it; ``enrol`` makes a device (and its person and unit); ``headers`` is
    a log-in on the device, valid for ``session_s`` seconds (None: the rest of the run); ``contents``
    reads back the given journals; ``forget`` lets the backend drop a checked run's journals."""

    def start(self) -> ServerFleet: ...
    def create_journal(self, journal_id: UUID) -> None: ...
    def enrol(self, device_id: UUID, label: str) -> Enrolled: ...
    def headers(self, device_id: UUID, *, session_s: float | None) -> dict[str, str]: ...
    def grant(self, *, device_id: UUID, journal_id: UUID) -> None: ...
    def contents(self, journals: Collection[UUID]) -> ServerContents: ...
    def forget(self, journals: Collection[UUID]) -> None: ...
    def stop(self) -> None: ...


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_listening(port: int, *, ended: Callable[[], bool]) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if ended():
            raise ServerStartError(f"the server process for port {port} ended before it listened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.01)
    raise ServerStartError(f"no server listening on port {port} after {_START_TIMEOUT_S} s")


class ServerProcesses:
    """``count`` server processes over the series' database, forked from a warm ``zygote``, each on a
    port of its own (``spec(port)`` is the zygote's spawn spec). ``kill`` and ``ensure_running`` are
    safe to call from several threads."""

    def __init__(self, *, zygote: Zygote, count: int, spec: Callable[[int], str], logs: Path) -> None:
        self._zygote = zygote
        self._spec = spec
        self._logs = logs
        self.ports = [free_port() for _ in range(count)]
        self._pids: list[int | None] = [None] * count
        self._lock = threading.Lock()
        self._stopped = False  # once stopped, nothing is started again (an interrupted series' runs)

    def _spawn(self, index: int) -> None:
        pid = self._zygote.spawn(self._spec(self.ports[index]), self._logs.with_suffix(f".{index}.log"))
        self._pids[index] = pid
        wait_listening(self.ports[index], ended=lambda: self._zygote.exited(pid))

    def ensure_running(self) -> None:
        with self._lock:
            if self._stopped:
                # A run still going when its series stopped: a process started now would outlive the
                # zygote, orphaned (seen after a SIGTERM to a long series).
                raise ServerStartError("the series is stopping: no server is started again")
            for index, pid in enumerate(self._pids):
                if pid is None or self._zygote.exited(pid):
                    if pid is not None:
                        self._zygote.wait(pid, timeout=0)  # collect its exit code
                    self._spawn(index)

    def kill(self, process: int, sig: signal.Signals) -> None:
        with self._lock:
            pid = self._pids[process]
            if pid is not None:
                self._zygote.kill(pid, sig)
                self._pids[process] = None

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
        for index in range(len(self._pids)):
            self.kill(index, signal.SIGTERM)


class ServerFleet:
    """A warm server zygote and the sets of server processes forked from it (``spec(port)`` is a process's
    spawn spec; its log goes to ``logs``-<set name>.<index>.log)."""

    def __init__(self, *, zygote: Zygote, spec: Callable[[int], str], logs: Path) -> None:
        self._zygote = zygote
        self._spec = spec
        self._logs = logs
        self._sets: list[ServerProcesses] = []

    def processes(self, *, count: int, name: str) -> ServerProcesses:
        made = ServerProcesses(
            zygote=self._zygote, count=count, spec=self._spec, logs=Path(f"{self._logs}-{name}")
        )
        self._sets.append(made)
        made.ensure_running()
        return made

    def stop(self) -> None:
        for made in self._sets:
            made.stop()
        self._zygote.close()


class ReferenceBackend:
    """Reference-server processes over one state file in ``workdir``; ``server_args`` go to each process
    (``{"bug": …}``: the harness's tests break the server on purpose). The harness's own calls (grants,
    read-back) run the reference server's handler in-process, under the same file lock."""

    def __init__(self, *, workdir: Path, server_args: Mapping[str, str] | None = None) -> None:
        self._workdir = workdir
        self._server_args = dict(server_args or {})
        self._state_path = workdir / "reference-server.pickle"

    def start(self) -> ServerFleet:
        state = str(self._state_path)
        args = self._server_args
        return ServerFleet(
            zygote=Zygote("reference-server", cwd=_ROOT),
            spec=lambda port: json.dumps({"port": port, "state": state, **args}),
            logs=self._workdir / "reference",
        )

    def stop(self) -> None:
        """Nothing to stop: the state file stays in the work directory (``--keep`` keeps it)."""

    def _admin(self, path: str, body: object) -> bytes:
        if str(_ROOT) not in sys.path:
            sys.path.append(str(_ROOT))  # the reference server lives in the source tree's tests/
        from tests.sync.fake_server_http import StateFile, handle

        status, content = handle(StateFile(self._state_path), "POST", path, {}, json.dumps(body).encode())
        if status != 200:
            raise ChaosError(f"reference server {path}: {status} {content!r}")
        return content

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
        self._admin("/chaos/grant", {"device_id": str(device_id), "journal_id": str(journal_id)})

    def contents(self, journals: Collection[UUID]) -> ServerContents:
        dump = json.loads(self._admin("/chaos/dump", {"journal_ids": [str(j) for j in journals]}))
        entries = {}
        for raw in dump["entries"]:
            wire = WireEntry.model_validate(raw)
            entries[wire.entry_id] = wire.to_envelope()
        return ServerContents(
            entries=entries,
            logs={UUID(j): [UUID(e) for e in ids] for j, ids in dump["logs"].items()},
            quarantined={UUID(q["entry"]["entry_id"]): q["reason"] for q in dump["quarantine"]},
        )

    def forget(self, journals: Collection[UUID]) -> None:
        """Drop a checked run's journals: the state file is read and written whole on every request, so
        a long series would otherwise slow down run by run."""
        self._admin("/chaos/forget", {"journal_ids": [str(j) for j in journals]})
