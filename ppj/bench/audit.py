"""``ppj bench audit``: what auditing costs. Audited vs unaudited journal reads on real uvicorn processes.

Starts ``uvicorn --workers N`` (2, then 4) on a fresh PostgreSQL schema, seeds one crew member with a
tablet and a set of journals, and drives ``GET /api/journals/{id}`` (audited: one hash-chained event
per request) and its unaudited twin (mounted only with PPJ_BENCH_UNAUDITED_ENDPOINT, development only)
with an asyncio httpx2 load generator for a fixed time each. Both variants do the same authentication,
policy and journal load; the difference is the audit event. Prints req/s, latency and the overhead.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import typer

from ppj.bench import app, conditions, percentile
from ppj.bench._world import bench_region_and_unit

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Target:
    base_url: str
    headers: dict[str, str]
    journal_ids: list[str]


@dataclass(frozen=True)
class Run:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _seed(url: str, journals: int) -> tuple[dict[str, str], list[str]]:
    from server import migrate
    from server.care.models import Journal, Mission, MissionUnit
    from server.db import make_engine, make_session_factory, utcnow
    from server.demo import MEDCOM_TEST_CPR
    from server.identity.models import Role
    from server.identity.service import create_person, enrol_device, issue_access_token, sign_on

    engine = make_engine(url)
    migrate.upgrade(engine=engine)
    now = utcnow()
    with make_session_factory(engine)() as session:
        region, unit = bench_region_and_unit(session=session)
        person = create_person(
            session=session,
            username="bench",
            display_name="Bench Ambulancebehandler",
            role=Role.ambulancebehandler,
            password=uuid.uuid4().hex,
        )
        enrolment = enrol_device(session=session, label="bench tablet")
        sign_on(session=session, person=person, unit_id=unit.id, device=enrolment.device, now=now)
        ids: list[str] = []
        for _ in range(journals):
            mission = Mission(created_at=now)
            session.add(mission)
            session.flush()
            session.add(MissionUnit(mission_id=mission.id, unit_id=unit.id, assigned_at=now))
            journal = Journal(mission_id=mission.id, patient_cpr=MEDCOM_TEST_CPR, opened_at=now)
            session.add(journal)
            session.flush()
            ids.append(str(journal.id))
        token = issue_access_token(
            session=session, person=person, device=enrolment.device, ttl=dt.timedelta(hours=2), now=now
        )
        session.commit()
    engine.dispose()
    headers = {"Authorization": f"Bearer {token.token}", "X-PPJ-Device": enrolment.credential}
    return headers, ids


def _start_server(url: str, workers: int, port: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ, PPJ_DATABASE_URL=url, PPJ_ENVIRONMENT="development", PPJ_BENCH_UNAUDITED_ENDPOINT="true"
    )
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


async def _wait_ready(base_url: str, workers: int, timeout: float = 60.0) -> None:
    import httpx2

    deadline = time.monotonic() + timeout
    async with httpx2.AsyncClient(base_url=base_url) as client:
        ok = 0
        while time.monotonic() < deadline:
            try:
                if (await client.get("/health")).status_code == 200:
                    ok += 1
                    if ok >= workers * 4:  # a few answers, so every worker has most likely started
                        return
            except httpx2.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not become ready")


async def _drive(target: Target, path: str, concurrency: int, seconds: float) -> Run:
    import httpx2

    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(
        base_url=target.base_url, headers=target.headers, limits=limits, timeout=30
    ) as client:

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.monotonic() < stop:
                journal_id = target.journal_ids[i % len(target.journal_ids)]
                i += 1
                started = time.perf_counter()
                response = await client.get(path.format(journal_id=journal_id))
                if response.status_code == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

        began = time.monotonic()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.monotonic() - began
    return Run(requests=len(latencies), errors=errors, seconds=elapsed, latencies_ms=latencies)


AUDITED = "/api/journals/{journal_id}"
UNAUDITED = "/api/bench/unaudited-journals/{journal_id}"


@app.command("audit")
def bench_audit(
    database_url: str = typer.Option(
        os.environ.get("PPJ_TEST_DATABASE_URL", DEFAULT_POSTGRES),
        help="PostgreSQL server (a fresh schema is used).",
    ),
    workers: list[int] = typer.Option([2, 4], "--workers", help="Server process counts to measure."),
    seconds: float = typer.Option(5.0, help="Measured seconds per variant and round."),
    rounds: int = typer.Option(2, help="Rounds; variants alternate within each round."),
    concurrency: int = typer.Option(32, help="Concurrent client connections."),
    journals: int = typer.Option(50, help="Journals the requests cycle through."),
) -> None:
    """Audited vs unaudited journal reads per second with N uvicorn processes on PostgreSQL."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'create schema "{schema}"')
    sep = "&" if "?" in database_url else "?"
    url = (
        database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        + f"{sep}options=-csearch_path%3D{schema}"
    )
    try:
        headers, ids = _seed(url, journals)
        print(
            f"conditions: {conditions()}; PostgreSQL {_server_version(database_url)} on the same machine; "
            f"load generator in this process ({concurrency} connections, httpx2 asyncio); "
            f"{rounds} round(s) x {seconds:.0f} s per variant, variants alternating; {journals} journals; "
            f"load average at start {os.getloadavg()[0]:.1f} (other work on the machine skews the figures)"
        )
        header = ("workers", 7), ("variant", 10), ("requests", 9), ("req/s", 8), ("p50 ms", 7), ("p99 ms", 7)
        print(" ".join(f"{name:>{width}}" for name, width in header), f"{'errors':>6}")
        for count in workers:
            port = _free_port()
            server = _start_server(url, count, port)
            try:
                base = f"http://127.0.0.1:{port}"
                asyncio.run(_wait_ready(base, count))
                target = Target(base_url=base, headers=headers, journal_ids=ids)
                asyncio.run(_drive(target, AUDITED, concurrency, 1.0))  # warm-up: connections, pools, caches
                asyncio.run(_drive(target, UNAUDITED, concurrency, 1.0))
                results: dict[str, list[Run]] = {"unaudited": [], "audited": []}
                for _ in range(rounds):
                    results["unaudited"].append(asyncio.run(_drive(target, UNAUDITED, concurrency, seconds)))
                    results["audited"].append(asyncio.run(_drive(target, AUDITED, concurrency, seconds)))
                rates: dict[str, float] = {}
                for variant, runs in results.items():
                    total = sum(r.requests for r in runs)
                    elapsed = sum(r.seconds for r in runs)
                    latencies = [ms for r in runs for ms in r.latencies_ms]
                    rates[variant] = total / elapsed
                    print(
                        f"{count:>7} {variant:>10} {total:>9} {rates[variant]:>8.0f} "
                        f"{percentile(latencies, 50):>7.1f} {percentile(latencies, 99):>7.1f} "
                        f"{sum(r.errors for r in runs):>6}"
                    )
                overhead = (1 - rates["audited"] / rates["unaudited"]) * 100
                print(
                    f"{count:>7} {'overhead':>10} {overhead:>8.1f} % fewer requests per second with auditing"
                )
            finally:
                server.terminate()
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        print(f"audit events written: {_count_events(url)}")
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'drop schema "{schema}" cascade')


def _server_version(database_url: str) -> str:
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute("show server_version").fetchone()
        return str(row[0]) if row else "?"


def _count_events(url: str) -> int:
    from sqlalchemy import func, select

    from server.audit.models import AuditEvent
    from server.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(AuditEvent)) or 0)
    finally:
        engine.dispose()
