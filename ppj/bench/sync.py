"""``ppj bench sync``: the sync server's figures, each with the conditions it was measured under.

1. Ingest throughput: ``server.sync.ingest.push`` called in-process (no HTTP), batches of 200 real note
   entries from one enrolled device (author checks, positions, projections and audit included), one
   commit per batch — on SQLite (file, WAL) and on PostgreSQL (a fresh schema).
2. One tablet pushes 10,000 entries: the real ``SyncClient`` and encrypted ``LocalStore`` over HTTP to a
   uvicorn server on PostgreSQL (gzip bodies, batches of 200).
3. Bootstrap of a fresh tablet: another tablet's first ``sync_once`` pulls those 10,000 entries.
4. Fleet: N simulated tablets (default 1,000), each pushing one entry and pulling its journal every 5 s,
   from one asyncio process against uvicorn (2 workers) on PostgreSQL; p50/p99 latency per request, the
   CPU share the load generator itself used (``time.process_time`` over wall time, per core) and the
   server's CPU per request (its process group, from /proc; PostgreSQL's own CPU is not in it). With
   the server's CPU per request, ``cores / that`` is the fleet's ceiling in requests/s on this machine.
5. Store encryption: ``ppj bench sync-store`` (reused, with smaller counts).

Targets on the 2-core reference machine: ingest ≥ 5,000 entries/s on PostgreSQL, bootstrap ≤ 5 s, fleet
p99 < 100 ms, encryption ≤ 15 %.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer

from journal.ids import new_uuid7
from ppj.bench import app, conditions, median, percentile
from ppj.bench._world import bench_region_and_unit

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 200


@dataclass(frozen=True)
class Crew:
    person_id: uuid.UUID
    device_id: uuid.UUID
    credential: str
    token: str


@contextmanager
def _postgres_schema(base: str) -> Iterator[str]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'create schema "{schema}"')
    try:
        url = "postgresql+psycopg://" + base.removeprefix("postgresql://")
        yield url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'drop schema "{schema}" cascade')


def _seed(url: str, crews: int) -> list[Crew]:
    """A migrated database with one unit and ``crews`` paramedics, each on an enrolled device."""
    from server import migrate
    from server.db import make_engine, make_session_factory, utcnow
    from server.identity.models import CrewShift, Role
    from server.identity.passwords import HashedPassword
    from server.identity.service import create_person, enrol_device, issue_access_token

    engine = make_engine(url)
    migrate.upgrade(engine=engine)
    now = utcnow()
    password = HashedPassword.of(uuid.uuid4().hex)
    made: list[Crew] = []
    with make_session_factory(engine)() as session:
        region, unit = bench_region_and_unit(session=session)
        for n in range(crews):
            person = create_person(
                session=session,
                username=f"bench-{n}",
                display_name=f"Bench Paramediciner {n}",
                role=Role.paramediciner,
                password=password,
            )
            enrolment = enrol_device(session=session, label=f"bench tablet {n}")
            session.add(
                CrewShift(person_id=person.id, unit_id=unit.id, device_id=enrolment.device.id, started_at=now)
            )
            token = issue_access_token(
                session=session, person=person, device=enrolment.device, ttl=dt.timedelta(hours=2), now=now
            )
            made.append(Crew(person.id, enrolment.device.id, enrolment.credential, token.token))
        session.commit()
    engine.dispose()
    return made


def _notes(crew: Crew, journal_id: uuid.UUID, count: int, *, first_stamp_ms: int) -> list[object]:
    """``count`` note entries (the first a crew sign-on on BENCH-1) by ``crew`` in ``journal_id``."""
    from journal.entry import Author, AuthorisationLevel, Role, new_entry
    from journal.hlc import Hlc
    from journal.kinds.common import PersonRef
    from journal.kinds.mission import CrewSignOn
    from journal.kinds.record import Note

    author = Author(
        person_id=str(crew.person_id),
        name="Bench",
        role=Role.PARAMEDICINER,
        authorisation_level=AuthorisationLevel.SPECIAL_COMPETENCE,
    )
    writer = str(crew.device_id)
    at = dt.datetime.now(dt.UTC)
    out: list[object] = []
    for i in range(count):
        payload = (
            CrewSignOn(unit="BENCH-1", members=(PersonRef(name="Bench"),))
            if i == 0
            else Note(text=f"RR 18, SpO2 96 %, BT 132/80, puls 88, GCS 15. Måling {i}.")
        )
        out.append(
            new_entry(
                journal_id=journal_id,
                payload=payload,
                author=author,
                device_id=writer,
                unit="BENCH-1",
                clinical_time=at,
                hlc=Hlc(first_stamp_ms, i, writer),
            )
        )
    return out


def _ingest(url: str, entries: int, journals: int) -> tuple[float, float]:
    """Entries/s by wall time and by this process's CPU time, for the ingest service in-process."""
    from journal.entry import Entry
    from server.access.policy import Windows
    from server.audit.service import AuditContext, ChainWriter
    from server.db import make_engine, make_session_factory
    from server.identity.models import Device
    from server.sync.clock import ServerClock
    from server.sync.ingest import Uploader, push
    from server.sync.writers import wire
    from sync.protocol import PushItem, PushRequest

    crew = _seed(url, 1)[0]
    per_journal = entries // journals
    now_ms = round(time.time() * 1000)
    batches: list[PushRequest] = []
    incarnation = uuid.uuid4()
    seq = 0
    for _ in range(journals):
        made = _notes(crew, new_uuid7(), per_journal, first_stamp_ms=now_ms)
        notes = [n for n in made if isinstance(n, Entry)]
        for start in range(0, len(notes), BATCH):
            items = []
            for entry in notes[start : start + BATCH]:
                seq += 1
                items.append(PushItem(device_seq=seq, entry=wire(entry)))
            batches.append(PushRequest(device_id=crew.device_id, incarnation_id=incarnation, items=items))
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    clock, audit_writer = ServerClock(), ChainWriter()
    windows = Windows(documentation=dt.timedelta(hours=12), emergency_department=dt.timedelta(hours=24))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for request in batches:
        with sessions() as session:
            device = session.get_one(Device, crew.device_id)
            ctx = AuditContext(
                actor_id=None,
                actor_name="device bench",
                actor_role="device",
                actor_authorisation_id=None,
                actor_organisation_id=None,
                device_id=device.id,
                client_ip="127.0.0.1",
                channel="bench ingest",
            )
            outcome = push(
                session=session,
                uploader=Uploader(writer_id=str(device.id), device=device, audit=ctx),
                request=request,
                clock=clock,
                max_ahead_ms=300_000,
                windows=windows,
                audit_writer=audit_writer,
                now=dt.datetime.now(dt.UTC),
            )
            assert outcome.stored == len(request.items), "bench entries must all be accepted"
            session.commit()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    engine.dispose()
    total = sum(len(b.items) for b in batches)
    return total / wall, total / cpu


def _rates(wall: float, cpu: float) -> str:
    return f"{wall:8.0f} entries/s wall, {cpu:8.0f} per CPU-second of this process"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = dict(os.environ, PPJ_DATABASE_URL=url, PPJ_ENVIRONMENT="development")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "server.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    # The server's own log (e.g. overload tracebacks) goes to a file, not into the figures.
    log = Path(tempfile.gettempdir()) / f"ppj-bench-sync-server-{port}.log"
    # Its own session (process group), so the whole server, workers included, is stopped at the end.
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"), start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    import httpx2

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx2.get(base + "/health").status_code == 200:
                return process, base
        except httpx2.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("uvicorn did not start")


def _group_cpu_seconds(pgid: int) -> float | None:
    """CPU seconds (user + system) used so far by the live processes of process group ``pgid`` (the
    server and its workers), from /proc; None where there is no /proc."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name (field 2) is in parentheses and may hold spaces: split after its end.
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[2]) == pgid:  # fields[0] is field 3 (state); pgrp is field 5
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / ticks


def _load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server started by ``_serve`` and its workers (its process group), before the schema goes."""
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    time.sleep(1)  # let the workers' database sessions end before the schema is dropped


def _tablet(base: str, crew: Crew, path: Path) -> tuple[object, object]:
    import httpx2

    from sync.client import SyncClient
    from sync.crypto import KdfParams
    from sync.store import LocalStore

    store = LocalStore.create(
        path=path,
        device_id=crew.device_id,
        user_id="bench",
        secret="2468",
        device_secret=b"bench-device-secret",
        kdf=KdfParams(time_cost=1, memory_kib=1024, parallelism=1),
    )
    http = httpx2.Client(
        base_url=base,
        headers={"X-PPJ-Device": crew.credential, "Authorization": f"Bearer {crew.token}"},
        timeout=60,
    )
    return store, SyncClient(store=store, http=http)


def _one_tablet(
    base: str, crews: list[Crew], entries: int, directory: Path
) -> tuple[float, float, float, int]:
    """Seconds to push ``entries`` from one tablet, and for a fresh tablet to pull them all (wall, and the
    CPU seconds of this process, i.e. the tablet side)."""
    from journal.entry import Entry
    from server.sync.writers import wire
    from sync.client import SyncClient
    from sync.store import LocalStore

    pusher, receiver = crews[0], crews[1]
    store, client = _tablet(base, pusher, directory / "pusher.ppjstore")
    assert isinstance(store, LocalStore) and isinstance(client, SyncClient)
    journal_id = new_uuid7()
    for entry in _notes(pusher, journal_id, entries, first_stamp_ms=round(time.time() * 1000)):
        assert isinstance(entry, Entry)
        store.capture(envelope=wire(entry).to_envelope())
    started = time.perf_counter()
    client.push_pending()
    push_s = time.perf_counter() - started
    assert store.pending_count() == 0
    store.close()
    fresh, fresh_client = _tablet(base, receiver, directory / "fresh.ppjstore")
    assert isinstance(fresh, LocalStore) and isinstance(fresh_client, SyncClient)
    started, cpu_started = time.perf_counter(), time.process_time()
    report = fresh_client.sync_once()
    bootstrap_s, bootstrap_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    fresh.close()
    return push_s, bootstrap_s, bootstrap_cpu, report.pulled


@dataclass
class FleetRun:
    latencies_ms: list[float]
    errors: int
    wall_s: float
    cpu_s: float
    server_cpu_s: float | None = None
    load: str = ""


async def _fleet(
    base: str, crews: list[Crew], seconds: float, interval: float, *, server_pgid: int
) -> FleetRun:
    """Each crew's tablet: every ``interval`` s push one prepared entry, then pull its journal."""
    import httpx2

    from journal.entry import Entry
    from server.sync.writers import wire
    from sync.protocol import PullRequest, PushItem, PushRequest

    cycles = int(seconds / interval) + 1
    plans: list[tuple[Crew, uuid.UUID, list[bytes], uuid.UUID]] = []
    now_ms = round(time.time() * 1000)
    for crew in crews:
        journal_id = new_uuid7()
        incarnation = uuid.uuid4()
        bodies = []
        for seq, entry in enumerate(_notes(crew, journal_id, cycles, first_stamp_ms=now_ms), start=1):
            assert isinstance(entry, Entry)
            request = PushRequest(
                device_id=crew.device_id,
                incarnation_id=incarnation,
                items=[PushItem(device_seq=seq, entry=wire(entry))],
            )
            bodies.append(gzip.compress(request.model_dump_json().encode(), compresslevel=6, mtime=0))
        plans.append((crew, journal_id, bodies, incarnation))
    latencies: list[float] = []
    errors = 0
    limits = httpx2.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def timed(path: str, body: bytes, headers: dict[str, str]) -> httpx2.Response | None:
            nonlocal errors
            started = time.perf_counter()
            try:
                response = await client.post(path, content=body, headers=headers)
            except httpx2.TransportError:
                errors += 1
                return None
            if response.status_code != 200:
                errors += 1
                return None
            latencies.append((time.perf_counter() - started) * 1000)
            return response

        async def tablet(index: int, plan: tuple[Crew, uuid.UUID, list[bytes], uuid.UUID]) -> None:
            crew, journal_id, bodies, _ = plan
            headers = {
                "X-PPJ-Device": crew.credential,
                "Authorization": f"Bearer {crew.token}",
                "Content-Type": "application/json",
            }
            await asyncio.sleep(interval * index / len(plans))  # spread the fleet over the interval
            cursor: str | None = None
            for body in bodies:
                began = time.monotonic()
                await timed("/sync/v1/push", body, {**headers, "Content-Encoding": "gzip"})
                pull = PullRequest(device_id=crew.device_id, journal_id=journal_id, after=cursor)
                response = await timed("/sync/v1/pull", pull.model_dump_json().encode(), headers)
                if response is not None:
                    cursor = response.json()["next_cursor"]
                await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))

        wall0, cpu0 = time.perf_counter(), time.process_time()
        server0 = _group_cpu_seconds(server_pgid)
        await asyncio.gather(*(tablet(i, plan) for i, plan in enumerate(plans)))
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        server1 = _group_cpu_seconds(server_pgid)
        load = _load()
    server_cpu = server1 - server0 if server0 is not None and server1 is not None else None
    return FleetRun(latencies, errors, wall, cpu, server_cpu, load)


def _pg_version(url: str) -> str:
    from sqlalchemy import text

    from server.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        version = str(conn.execute(text("show server_version")).scalar())
    engine.dispose()
    return version


@app.command("sync")
def bench_sync(
    entries: int = typer.Option(10_000, help="Entries for ingest, the one-tablet push and the bootstrap."),
    tablets: int = typer.Option(1000, help="Simulated tablets in the fleet."),
    fleet_seconds: float = typer.Option(30.0, help="How long the fleet runs."),
    interval: float = typer.Option(5.0, help="Seconds between one tablet's syncs."),
    postgres: str = typer.Option(
        os.environ.get("PPJ_BENCH_DATABASE_URL", DEFAULT_POSTGRES),
        help="PostgreSQL server (a schema is made).",
    ),
    skip_store: bool = typer.Option(False, help="Skip the store-encryption part (ppj bench sync-store)."),
) -> None:
    """Ingest, one-tablet push, bootstrap, fleet latency and encryption cost, with conditions."""
    import sqlite3

    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="ppj-bench-sync-", dir=shm if shm.is_dir() else None) as tmp:
        root = Path(tmp)
        print(f"conditions: {conditions()}; load average {os.getloadavg()[0]:.2f} at start")
        print(f"ingest (in-process push service, {entries} note entries in 10 journals, batches of {BATCH}):")
        sqlite_url = f"sqlite:///{root / 'ingest.sqlite3'}"
        wall, cpu = _ingest(sqlite_url, entries, 10)
        print(f"  ({_load()})")
        print(f"  SQLite {sqlite3.sqlite_version} (file in {root}, WAL): {_rates(wall, cpu)}")
        with _postgres_schema(postgres) as url:
            wall, cpu = _ingest(url, entries, 10)
            print(f"  PostgreSQL {_pg_version(url)} (loopback): {_rates(wall, cpu)}   [target ≥ 5000]")
        with _postgres_schema(postgres) as url:
            crews = _seed(url, max(tablets, 2))
            process, base = _serve(url, workers=2)
            try:
                push_s, bootstrap_s, bootstrap_cpu, pulled = _one_tablet(base, crews, entries, root)
                print(f"HTTP, uvicorn (2 workers) on PostgreSQL, loopback, gzip bodies ({_load()}):")
                print(
                    f"  one tablet pushes {entries} entries (batches of {BATCH}): {push_s:6.2f} s "
                    f"({entries / push_s:.0f} entries/s)"
                )
                print(
                    f"  fresh tablet bootstrap, {pulled} entries in pages of 500: {bootstrap_s:6.2f} s "
                    f"(tablet process CPU {bootstrap_cpu:.2f} s)   [target ≤ 5 s]"
                )
                run = asyncio.run(
                    _fleet(base, crews[:tablets], fleet_seconds, interval, server_pgid=process.pid)
                )
                cores = os.cpu_count() or 1
                print(
                    f"  fleet: {tablets} tablets, push 1 entry + pull every {interval:g} s, "
                    f"{fleet_seconds:g} s, "
                    f"one asyncio process: {len(run.latencies_ms)} requests, {run.errors} errors, "
                    f"{len(run.latencies_ms) / run.wall_s:.0f} req/s"
                )
                if run.latencies_ms:
                    print(
                        f"    latency p50 {median(run.latencies_ms):6.1f} ms, "
                        f"p99 {percentile(run.latencies_ms, 99):6.1f} ms"
                        f"   [target p99 < 100 ms]"
                    )
                print(
                    f"    load generator CPU: {run.cpu_s:.1f} s over {run.wall_s:.1f} s wall = "
                    f"{100 * run.cpu_s / run.wall_s:.0f} % of one core "
                    f"({100 * run.cpu_s / run.wall_s / cores:.0f} % of the machine); {run.load} at the end"
                )
                if run.server_cpu_s is not None and run.latencies_ms:
                    print(
                        f"    server (uvicorn, 2 workers) CPU: {run.server_cpu_s:.1f} s = "
                        f"{1000 * run.server_cpu_s / len(run.latencies_ms):.1f} ms per request "
                        f"({100 * run.server_cpu_s / run.wall_s / cores:.0f} % of the machine; "
                        "PostgreSQL's own CPU not included)"
                    )
            finally:
                _stop(process)
    if not skip_store:
        from ppj.bench.sync_store import bench_sync_store

        print("store encryption (ppj bench sync-store, reused):   [target ≤ 15 %]")
        bench_sync_store(taps=200, bulk=2000, page=100, reads=5, size=600, directory=None)
