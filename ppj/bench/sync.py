"""``ppj bench sync``: the sync server's figures, each with the conditions it was measured under.

1. Ingest throughput: ``server.sync.ingest.push`` called in-process (no HTTP), batches of 200 real note
   entries from one enrolled device (author checks, positions, projections and audit included), one
   commit per batch — on SQLite (file, WAL) and on PostgreSQL (a fresh schema).
2. One tablet pushes 10,000 entries: the real ``SyncClient`` and encrypted ``LocalStore`` over HTTP to a
   uvicorn server on PostgreSQL (gzip bodies, batches of 200).
3. Bootstrap of a fresh tablet: another tablet's first ``sync_once`` pulls those 10,000 entries.
4. Fleet: N simulated tablets (default 1,000), one crew and one ambulance each, from one asyncio process
   against uvicorn (2 workers) on PostgreSQL. Every tablet syncs every 5 s the way ``SyncClient.sync_once``
   does: a push only when something is queued (the real client sends nothing when its queue is empty),
   then ``GET /access?watermarks=true``, then a pull, until ``has_more`` is false, of each listed journal
   whose watermark is not the stored cursor (gzip bodies, as the client sends them);
   ``--fleet-old-client``: the client before watermarks, which pulls every listed journal every sync.
   Each crew writes an entry at random moments (seeded; exponential gaps, mean ``--fleet-write-every``,
   45 s by default) after a first entry that opens the journal; so most syncs are an access list and
   nothing else. ``--fleet-write-every`` at or below the interval is the
   worst case, an entry on every sync; the default run measures both. Printed: p50/p99 latency per
   request, the CPU share the load generator itself used (``time.process_time`` over wall time, per
   core) and the server's CPU per request (its process group, from /proc; PostgreSQL's own CPU is not in
   it). With the server's CPU per request, ``cores / that`` is the fleet's ceiling in requests/s here.
5. Store encryption: ``ppj bench sync-store`` (reused, with smaller counts).

Targets on the 2-core reference machine: ingest ≥ 5,000 entries/s on PostgreSQL, bootstrap ≤ 5 s, fleet
p99 < 100 ms, encryption ≤ 15 %.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import typer

from journal.ids import new_uuid7
from ppj.bench import app, conditions, median, percentile
from ppj.bench._lean_http import LeanClient, LeanHttpError
from ppj.bench._world import bench_region_and_unit

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 200


@dataclass(frozen=True)
class Crew:
    person_id: uuid.UUID
    device_id: uuid.UUID
    credential: str
    token: str
    call_sign: str = "BENCH-1"


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


def _seed(url: str, crews: int, *, unit_each: bool = False) -> list[Crew]:
    """A migrated database with ``crews`` paramedics, each on an enrolled device, signed on to one shared
    unit (BENCH-1) or, with ``unit_each``, each to an ambulance of their own (BENCH-1, BENCH-2, ...), so
    that a crew sees only its own journals, as in a real fleet."""
    from server import migrate
    from server.db import make_engine, make_session_factory, utcnow
    from server.identity.models import CrewShift, Role
    from server.identity.passwords import HashedPassword
    from server.identity.service import create_person, enrol_device, issue_access_token
    from server.orgs.models import OrgKind, UnitType
    from server.orgs.service import create_organisation

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
            own = unit
            if unit_each and n > 0:
                own = create_organisation(
                    session=session,
                    kind=OrgKind.unit,
                    name=f"Bench ambulance {n + 1}",
                    parent_id=region.id,
                    call_sign=f"BENCH-{n + 1}",
                    unit_type=UnitType.ambulance,
                )
            session.add(
                CrewShift(person_id=person.id, unit_id=own.id, device_id=enrolment.device.id, started_at=now)
            )
            token = issue_access_token(
                session=session, person=person, device=enrolment.device, ttl=dt.timedelta(hours=2), now=now
            )
            made.append(
                Crew(person.id, enrolment.device.id, enrolment.credential, token.token, own.call_sign or "")
            )
        session.commit()
    engine.dispose()
    return made


def _notes(crew: Crew, journal_id: uuid.UUID, count: int, *, first_stamp_ms: int) -> list[object]:
    """``count`` note entries (the first a crew sign-on on the crew's unit) by ``crew`` in ``journal_id``."""
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
            CrewSignOn(unit=crew.call_sign, members=(PersonRef(name="Bench"),))
            if i == 0
            else Note(text=f"RR 18, SpO2 96 %, BT 132/80, puls 88, GCS 15. Måling {i}.")
        )
        out.append(
            new_entry(
                journal_id=journal_id,
                payload=payload,
                author=author,
                device_id=writer,
                unit=crew.call_sign,
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


def _cpu_seconds(matches: Callable[[str, list[str]], bool], *, children: bool = False) -> float | None:
    """CPU seconds (user + system) used so far by the live processes that ``matches(command name,
    stat fields)`` selects, with ``children`` also by their ended children, from /proc; None where there
    is no /proc."""
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
            head, _, tail = (entry / "stat").read_text().rpartition(")")
        except OSError:
            continue  # the process ended meanwhile
        fields = tail.split()  # fields[0] is field 3 (state); pgrp is field 5
        if matches(head.partition("(")[2], fields):
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
            if children:
                total += int(fields[13]) + int(fields[14])  # of ended children: cutime, cstime (16, 17)
    return total / ticks


def _group_cpu_seconds(pgid: int) -> float | None:
    """CPU seconds of the live processes of process group ``pgid`` (the server and its workers)."""
    return _cpu_seconds(lambda _name, fields: int(fields[2]) == pgid)


def _postgres_cpu_seconds() -> float | None:
    """CPU seconds of every PostgreSQL process on this machine (the bench's sessions and the server's
    background processes, and the sessions that ended: PostgreSQL forks one process per connection and
    the postmaster reaps it; on a quiet machine, the database's share of the work)."""
    return _cpu_seconds(lambda name, _fields: name.startswith("postgres"), children=True)


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


class FleetResponse(Protocol):
    @property
    def status_code(self) -> int: ...
    @property
    def content(self) -> bytes: ...


class FleetClient(Protocol):
    """The load generator's HTTP client: ``LeanClient`` (default) or httpx's ``AsyncClient``."""

    async def request(
        self, method: str, url: str, *, content: bytes | None = None, headers: dict[str, str]
    ) -> FleetResponse: ...

    async def aclose(self) -> None: ...


@dataclass
class FleetRun:
    latencies_ms: dict[str, list[float]]
    errors: Counter[str]  # "<request kind> <status or exception>": count
    wall_s: float
    cpu_s: float
    server_cpu_s: float | None = None
    postgres_cpu_s: float | None = None
    load: str = ""
    entries: int = 0

    @property
    def all_ms(self) -> list[float]:
        return [ms for kind in self.latencies_ms.values() for ms in kind]


def _write_cycles(rng: random.Random, *, cycles: int, interval: float, write_every: float) -> list[int]:
    """How many entries the crew has written before each of its ``cycles`` steady-state syncs, at
    exponential gaps of mean ``write_every`` seconds; at or below ``interval``, one per sync (the worst
    case). The sign-on that opens the journal is pushed before these, in the cold start."""
    if write_every <= interval:
        return [1] * cycles
    due = [0] * cycles
    at = rng.expovariate(1 / write_every)
    while at < cycles * interval:
        due[int(at // interval)] += 1  # written during the gap before sync k, pushed at sync k
        at += rng.expovariate(1 / write_every)
    return due


@dataclass
class _Tablet:
    crew: Crew
    bodies: list[bytes | None]  # gzip push body per sync, None when nothing is queued; [0]: the sign-on
    cursors: dict[str, str | None]


async def _fleet(
    base: str,
    crews: list[Crew],
    seconds: float,
    interval: float,
    *,
    write_every: float,
    seed: int,
    server_pgid: int,
    old_client: bool = False,
    http_client: str = "lean",
) -> tuple[FleetRun, FleetRun]:
    """The fleet's cold start, then its steady state, measured apart.

    Each crew's tablet syncs as ``SyncClient.sync_once`` does: push if something is queued, then the
    access list with watermarks, then each listed journal whose watermark is not the stored cursor pulled
    until ``has_more`` is false (``old_client``: the client of before watermarks, which pulls every listed
    journal on every sync). Cold start: every tablet pushes its crew's sign-on (a new journal), lists and
    pulls it, the tablets spread over one ``interval``, as after a central outage or a shift change of
    the whole region. Steady state, after all have started: ``seconds`` of syncs every ``interval``."""
    import httpx2

    from journal.entry import Entry
    from server.sync.writers import wire
    from sync.protocol import ACCESS_PATH, ACCESS_WATERMARKS_QUERY, PullRequest, PushItem, PushRequest

    access_path = ACCESS_PATH if old_client else f"{ACCESS_PATH}?{ACCESS_WATERMARKS_QUERY}"
    cycles = max(1, int(seconds / interval))
    rng = random.Random(seed)
    tablets: list[_Tablet] = []
    now_ms = round(time.time() * 1000)
    for crew in crews:
        due = [1, *_write_cycles(rng, cycles=cycles, interval=interval, write_every=write_every)]
        journal_id = new_uuid7()
        incarnation = uuid.uuid4()
        entries = [
            e for e in _notes(crew, journal_id, sum(due), first_stamp_ms=now_ms) if isinstance(e, Entry)
        ]
        bodies: list[bytes | None] = []
        seq = 0
        for count in due:
            if not count:
                bodies.append(None)
                continue
            items = [
                PushItem(device_seq=seq + i + 1, entry=wire(e))
                for i, e in enumerate(entries[seq : seq + count])
            ]
            seq += count
            request = PushRequest(device_id=crew.device_id, incarnation_id=incarnation, items=items)
            bodies.append(gzip.compress(request.model_dump_json().encode(), compresslevel=6, mtime=0))
        tablets.append(_Tablet(crew, bodies, {}))
    client: FleetClient
    if http_client == "httpx":
        limits = httpx2.Limits(max_connections=200, max_keepalive_connections=200)
        client = httpx2.AsyncClient(base_url=base, limits=limits, timeout=30)
        broken: tuple[type[Exception], ...] = (httpx2.TransportError,)
    else:
        client = LeanClient(base, max_connections=200, timeout=30)
        broken = (LeanHttpError,)
    try:

        async def phase(first: int, last: int) -> FleetRun:
            """Syncs ``first`` to ``last`` (exclusive) of every tablet, the tablets spread over one
            interval, each sync ``interval`` after the previous one began."""
            latencies: dict[str, list[float]] = {"push": [], "access": [], "pull": []}
            errors: Counter[str] = Counter()

            async def timed(
                kind: str, method: str, path: str, body: bytes | None, headers: dict[str, str]
            ) -> FleetResponse | None:
                started = time.perf_counter()
                try:
                    response = await client.request(method, path, content=body, headers=headers)
                except broken as error:
                    errors[f"{kind} {type(error).__name__}"] += 1
                    return None
                if response.status_code != 200:
                    errors[f"{kind} HTTP {response.status_code}"] += 1
                    return None
                latencies[kind].append((time.perf_counter() - started) * 1000)
                return response

            async def pull_journal(tablet: _Tablet, journal: str, posted: dict[str, str]) -> None:
                for _ in range(100):
                    pull = PullRequest(
                        device_id=tablet.crew.device_id,
                        journal_id=uuid.UUID(journal),
                        after=tablet.cursors.get(journal),
                    )
                    raw = gzip.compress(pull.model_dump_json().encode(), compresslevel=6, mtime=0)
                    response = await timed("pull", "POST", "/sync/v1/pull", raw, posted)
                    if response is None:
                        break
                    page = json.loads(response.content)
                    tablet.cursors[journal] = page["next_cursor"]
                    if not page["has_more"]:
                        break

            async def run(index: int, tablet: _Tablet) -> None:
                headers = {
                    "X-PPJ-Device": tablet.crew.credential,
                    "Authorization": f"Bearer {tablet.crew.token}",
                    "Accept": "application/json",
                }
                posted = {**headers, "Content-Type": "application/json", "Content-Encoding": "gzip"}
                await asyncio.sleep(interval * index / len(tablets))  # spread the fleet over the interval
                for body in tablet.bodies[first:last]:
                    began = time.monotonic()
                    if body is not None:
                        await timed("push", "POST", "/sync/v1/push", body, posted)
                    access = await timed("access", "GET", access_path, None, headers)
                    listed = json.loads(access.content)["journals"] if access is not None else []
                    for item in listed:
                        journal = item["journal_id"]
                        # As the client: no pull when the stored cursor is at the journal's watermark.
                        if old_client or item.get("watermark") != tablet.cursors.get(journal):
                            await pull_journal(tablet, journal, posted)
                    if last - first > 1:
                        await asyncio.sleep(max(0.0, interval - (time.monotonic() - began)))

            wall0, cpu0 = time.perf_counter(), time.process_time()
            server0, postgres0 = _group_cpu_seconds(server_pgid), _postgres_cpu_seconds()
            await asyncio.gather(*(run(i, tablet) for i, tablet in enumerate(tablets)))
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            server1, postgres1 = _group_cpu_seconds(server_pgid), _postgres_cpu_seconds()
            return FleetRun(
                latencies,
                errors,
                wall,
                cpu,
                server_cpu_s=server1 - server0 if server0 is not None and server1 is not None else None,
                postgres_cpu_s=postgres1 - postgres0
                if postgres0 is not None and postgres1 is not None
                else None,
                load=_load(),
                entries=sum(
                    len(PushRequest.model_validate_json(gzip.decompress(body)).items)
                    for tablet in tablets
                    for body in tablet.bodies[first:last]
                    if body is not None
                ),
            )

        cold = await phase(0, 1)
        steady = await phase(1, cycles + 1)
    finally:
        await client.aclose()
    return cold, steady


def _errors(errors: Counter[str]) -> str:
    if not errors:
        return "0 errors"
    return f"{sum(errors.values())} errors ({', '.join(f'{n} {what}' for what, n in sorted(errors.items()))})"


def _print_fleet_run(run: FleetRun, *, what: str) -> None:
    cores = os.cpu_count() or 1
    done = run.all_ms
    print(
        f"    {what}: {len(done)} requests "
        f"({', '.join(f'{len(v)} {k}' for k, v in run.latencies_ms.items())}), "
        f"{run.entries} entries, {_errors(run.errors)}, {run.wall_s:.1f} s, "
        f"{len(done) / run.wall_s:.0f} req/s"
    )
    if done:
        print(
            f"      latency p50 {median(done):6.1f} ms, p99 {percentile(done, 99):6.1f} ms"
            + "".join(
                f"; {kind} p50 {median(v):.1f} p99 {percentile(v, 99):.1f}"
                for kind, v in run.latencies_ms.items()
                if v
            )
        )
    shares = [
        f"load generator {run.cpu_s:.1f} s ({100 * run.cpu_s / run.wall_s / cores:.0f} % of the machine)"
    ]
    if run.server_cpu_s is not None and done:
        shares.append(
            f"server (uvicorn, 2 workers) {run.server_cpu_s:.1f} s = "
            f"{1000 * run.server_cpu_s / len(done):.2f} ms per request "
            f"({100 * run.server_cpu_s / run.wall_s / cores:.0f} %)"
        )
    if run.postgres_cpu_s is not None and done:
        shares.append(
            f"PostgreSQL {run.postgres_cpu_s:.1f} s = "
            f"{1000 * run.postgres_cpu_s / len(done):.2f} ms per request "
            f"({100 * run.postgres_cpu_s / run.wall_s / cores:.0f} %)"
        )
    print(f"      CPU: {'; '.join(shares)}; {run.load} at the end")


def _print_fleet(
    cold: FleetRun,
    steady: FleetRun,
    *,
    tablets: int,
    seconds: float,
    interval: float,
    write_every: float,
    old_client: bool,
    http_client: str,
) -> None:
    every = (
        "an entry on every sync"
        if write_every <= interval
        else f"an entry every {write_every:g} s on average"
    )
    pattern = (
        "push if queued, access, pull: the client before watermarks"
        if old_client
        else "push if queued, access with watermarks, pull if behind"
    )
    print(
        f"  fleet: {tablets} tablets (own ambulance each) from one asyncio process ({http_client} HTTP "
        f"client, at most 200 connections), syncing as SyncClient.sync_once ({pattern}):"
    )
    _print_fleet_run(
        cold,
        what="cold start (every crew signs on: a new journal pushed, listed, pulled; "
        f"spread over {interval:g} s)",
    )
    _print_fleet_run(
        steady,
        what=f"steady state (sync every {interval:g} s for {seconds:g} s, {every})   [target p99 < 100 ms]",
    )


def _fleet_in_schema(
    postgres: str,
    *,
    tablets: int,
    seconds: float,
    interval: float,
    write_every: float,
    seed: int,
    old_client: bool,
    http_client: str,
) -> None:
    """One fleet run on a fresh schema and server, so one run's journals are not in the next's lists."""
    with _postgres_schema(postgres) as url:
        crews = _seed(url, tablets, unit_each=True)
        process, base = _serve(url, workers=2)
        try:
            cold, steady = asyncio.run(
                _fleet(
                    base,
                    crews,
                    seconds,
                    interval,
                    write_every=write_every,
                    seed=seed,
                    server_pgid=process.pid,
                    old_client=old_client,
                    http_client=http_client,
                )
            )
        finally:
            _stop(process)
    _print_fleet(
        cold,
        steady,
        tablets=tablets,
        seconds=seconds,
        interval=interval,
        write_every=write_every,
        old_client=old_client,
        http_client=http_client,
    )


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
    fleet_write_every: float = typer.Option(
        45.0, help="Mean seconds between one crew's entries; at or below --interval: one per sync."
    ),
    fleet_worst_case: bool = typer.Option(
        True, help="Also run the fleet with an entry on every sync (after the --fleet-write-every run)."
    ),
    fleet_only: bool = typer.Option(False, help="Only the fleet (skip ingest, one tablet, encryption)."),
    fleet_old_client: bool = typer.Option(
        False, help="Fleet tablets as the client before access watermarks: a pull of every journal each sync."
    ),
    fleet_http: str = typer.Option(
        "lean",
        help="The load generator's HTTP client: 'lean' (keep-alive HTTP/1.1 on asyncio streams, the least "
        "CPU taken from the server under test) or 'httpx'.",
    ),
    seed: int = typer.Option(20261125, help="Seed of the crews' writing moments."),
    postgres: str = typer.Option(
        os.environ.get("PPJ_BENCH_DATABASE_URL", DEFAULT_POSTGRES),
        help="PostgreSQL server (a schema is made).",
    ),
    skip_store: bool = typer.Option(False, help="Skip the store-encryption part (ppj bench sync-store)."),
) -> None:
    """Ingest, one-tablet push, bootstrap, fleet latency and encryption cost, with conditions."""
    import sqlite3

    if fleet_http not in {"lean", "httpx"}:
        raise typer.BadParameter("choose 'lean' or 'httpx'", param_hint="--fleet-http")
    shm = Path("/dev/shm")
    print(f"conditions: {conditions()}; load average {os.getloadavg()[0]:.2f} at start")
    if not fleet_only:
        with tempfile.TemporaryDirectory(prefix="ppj-bench-sync-", dir=shm if shm.is_dir() else None) as tmp:
            root = Path(tmp)
            print(
                f"ingest (in-process push service, {entries} note entries in 10 journals, "
                f"batches of {BATCH}):"
            )
            sqlite_url = f"sqlite:///{root / 'ingest.sqlite3'}"
            wall, cpu = _ingest(sqlite_url, entries, 10)
            print(f"  ({_load()})")
            print(f"  SQLite {sqlite3.sqlite_version} (file in {root}, WAL): {_rates(wall, cpu)}")
            with _postgres_schema(postgres) as url:
                wall, cpu = _ingest(url, entries, 10)
                print(f"  PostgreSQL {_pg_version(url)} (loopback): {_rates(wall, cpu)}   [target ≥ 5000]")
            with _postgres_schema(postgres) as url:
                crews = _seed(url, 2)
                process, base = _serve(url, workers=2)
                try:
                    push_s, bootstrap_s, bootstrap_cpu, pulled = _one_tablet(base, crews, entries, root)
                finally:
                    _stop(process)
                print(f"HTTP, uvicorn (2 workers) on PostgreSQL, loopback, gzip bodies ({_load()}):")
                print(
                    f"  one tablet pushes {entries} entries (batches of {BATCH}): {push_s:6.2f} s "
                    f"({entries / push_s:.0f} entries/s)"
                )
                print(
                    f"  fresh tablet bootstrap, {pulled} entries in pages of 500: {bootstrap_s:6.2f} s "
                    f"(tablet process CPU {bootstrap_cpu:.2f} s)   [target ≤ 5 s]"
                )
    models = [fleet_write_every]
    if fleet_worst_case and fleet_write_every > interval:
        models.append(interval)
    for write_every in models:
        _fleet_in_schema(
            postgres,
            tablets=tablets,
            seconds=fleet_seconds,
            interval=interval,
            write_every=write_every,
            seed=seed,
            old_client=fleet_old_client,
            http_client=fleet_http,
        )
    if not skip_store and not fleet_only:
        from ppj.bench.sync_store import bench_sync_store

        print("store encryption (ppj bench sync-store, reused):   [target ≤ 15 %]")
        bench_sync_store(taps=200, bulk=2000, page=100, reads=5, size=600, directory=None)
