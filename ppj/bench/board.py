"""``ppj bench board``: the ED board's figures, each with the conditions it was measured under.

1. Render: 50 patients pre-alerted to one hospital (each with sign-on, chief complaint, consciousness,
   vitals, urgency and destination entries), ``GET /board`` and ``GET /board/rows`` by one ED user against
   a uvicorn server on PostgreSQL, sequentially; the figure is the HTTP round trip over loopback (server
   time plus well under a millisecond). The board session's audit events are written on the first render
   only (one per board session per patient), as in production. The server's row cache is warm after the
   first render (nothing changes between renders), as between two changes in production. Also the
   in-process view-model time without HTTP or templates, cold (every journal folded: a process's first
   render) and warm (rows keyed by unchanged log heads reused), each with its CPU time.
2. Live updates: 100 boards hold ``GET /board/events`` open on server process B; a real tablet
   (``SyncClient`` + encrypted ``LocalStore``) pushes one entry per round to server process A; the figure
   is the time from the start of the push to the ``changed`` event reaching each board (PostgreSQL
   NOTIFY in the push's transaction → LISTEN thread in B → SSE). Rounds are 0.5 s apart.

Targets: render ≤ 300 ms with 50 patients; push → 100 boards p95 ≤ 1 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import typer

from journal.ids import new_uuid7
from ppj.bench import app, conditions, median, percentile
from ppj.bench._world import bench_region_and_unit
from ppj.bench.sync import DEFAULT_POSTGRES, Crew, _pg_version, _postgres_schema, _serve, _tablet


@dataclass(frozen=True)
class BoardWorld:
    crew: Crew
    ed_cookie: str
    ed_person_id: uuid.UUID
    journal_ids: list[uuid.UUID]


def _seed(url: str, patients: int) -> BoardWorld:
    """A hospital with its ED, one unit and crew on an enrolled tablet, one ED user, ``patients`` journals."""
    from journal.demo.places import demo_sor
    from journal.entry import Author, AuthorisationLevel, Entry, new_entry
    from journal.entry import Role as AuthorRole
    from journal.hlc import Hlc
    from journal.kinds.common import PersonRef, Reading
    from journal.kinds.disposition import Destination, PreAlert, TransportUrgency
    from journal.kinds.mission import CrewSignOn
    from journal.kinds.observations import Consciousness, VitalSigns
    from journal.kinds.patient import ChiefComplaint
    from journal.payload import Payload
    from server import migrate
    from server.access.policy import Windows
    from server.db import make_engine, make_session_factory, utcnow
    from server.identity.models import CrewShift, Role
    from server.identity.passwords import HashedPassword
    from server.identity.service import create_person, enrol_device, issue_access_token, start_web_session
    from server.orgs.models import OrgKind
    from server.orgs.service import create_organisation
    from server.sync.clock import ServerClock
    from server.sync.writers import write_entries

    engine = make_engine(url)
    migrate.upgrade(engine=engine)
    now = utcnow()
    password = HashedPassword.of(uuid.uuid4().hex)
    with make_session_factory(engine)() as session:
        region, unit = bench_region_and_unit(session=session)
        hospital = create_organisation(
            session=session,
            kind=OrgKind.hospital,
            name="Bench hospital",
            parent_id=region.id,
            sor_id=demo_sor(3),
        )
        create_organisation(
            session=session,
            kind=OrgKind.emergency_department,
            name="Bench FAM",
            parent_id=hospital.id,
            sor_id=demo_sor(4),
        )
        medic = create_person(
            session=session,
            username="bench-medic",
            display_name="Bench Medic",
            role=Role.paramediciner,
            password=password,
        )
        enrolment = enrol_device(session=session, label="bench tablet")
        session.add(
            CrewShift(person_id=medic.id, unit_id=unit.id, device_id=enrolment.device.id, started_at=now)
        )
        token = issue_access_token(
            session=session, person=medic, device=enrolment.device, ttl=dt.timedelta(hours=2), now=now
        )
        ed = create_person(
            session=session,
            username="bench-ed",
            display_name="Bench ED",
            role=Role.ed_staff,
            password=password,
            organisation_id=hospital.id,
        )
        cookie = start_web_session(session=session, person=ed, ttl=dt.timedelta(hours=2), now=now).token
        session.commit()
        crew = Crew(medic.id, enrolment.device.id, enrolment.credential, token.token)

        author = Author(
            person_id=str(medic.id),
            name="Bench Medic",
            role=AuthorRole.PARAMEDICINER,
            authorisation_level=AuthorisationLevel.SPECIAL_COMPETENCE,
        )
        sor = hospital.sor_id
        assert sor is not None
        journal_ids: list[uuid.UUID] = []
        for n in range(patients):
            journal_id = new_uuid7()
            journal_ids.append(journal_id)
            payloads: list[Payload] = [
                CrewSignOn(unit="BENCH-1", members=(PersonRef(name="Bench Medic"),)),
                ChiefComplaint(text=f"Brystsmerter, patient {n}", category="chest_pain"),
                Consciousness(acvpu="A"),
                VitalSigns(
                    heart_rate=Reading(value=80 + n % 50, unit="/min"),
                    bp_systolic=Reading(value=130, unit="mm[Hg]"),
                    respiratory_rate=Reading(value=14 + n % 12, unit="/min"),
                    spo2=Reading(value=97 - n % 8, unit="%"),
                    on_oxygen=False,
                    temperature=Reading(value=37.0, unit="Cel"),
                ),
                TransportUrgency(level="A" if n % 2 else "B"),
                Destination(
                    hospital="Bench hospital",
                    sor_code=sor,
                    eta=now + dt.timedelta(minutes=5 + n),
                    pre_alert=PreAlert(alert_type="medical", sent_at=now, receiver="Bench FAM"),
                ),
            ]

            def draft(payload: Payload, journal_id: uuid.UUID = journal_id) -> object:
                def make(hlc: Hlc) -> Entry:
                    return new_entry(
                        journal_id=journal_id,
                        payload=payload,
                        author=author,
                        device_id=f"user:{medic.id}",
                        unit="BENCH-1",
                        clinical_time=now,
                        hlc=hlc,
                    )

                return make

            write_entries(
                session=session,
                writer_id=f"user:{medic.id}",
                drafts=[draft(p) for p in payloads],  # type: ignore[misc]
                clock=ServerClock(),
                max_ahead_ms=60_000,
                windows=Windows(
                    documentation=dt.timedelta(hours=12), emergency_department=dt.timedelta(hours=24)
                ),
                audit_writer=None,
                audit=None,
                now=now,
            )
        session.commit()
    engine.dispose()
    return BoardWorld(crew=crew, ed_cookie=cookie, ed_person_id=ed.id, journal_ids=journal_ids)


def _render(base: str, world: BoardWorld, renders: int) -> dict[str, list[float]]:
    import httpx2

    timings: dict[str, list[float]] = {"/board": [], "/board/rows": []}
    with httpx2.Client(base_url=base, cookies={"ppj_session": world.ed_cookie}, timeout=60) as client:
        first = client.get("/board")
        assert first.status_code == 200 and first.text.count('class="patient') == len(world.journal_ids), (
            first.text[:300]
        )
        for _ in range(renders):
            for path in timings:
                started = time.perf_counter()
                response = client.get(path)
                timings[path].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
    return timings


def _view_models(
    url: str, world: BoardWorld, renders: int, *, cached: bool
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per in-process board build; ``cached``: with a warm row cache (what a
    server process has between changes), else every journal is re-folded (the first render, or all
    journals changed)."""
    from server.access import service as access
    from server.access.policy import Actor, Windows
    from server.board.view import RowCache, board_rows
    from server.db import make_engine, make_session_factory, utcnow
    from server.identity.models import Person

    engine = make_engine(url)
    timings: list[float] = []
    cpu: list[float] = []
    cache = RowCache() if cached else None
    with make_session_factory(engine)() as session:
        person = session.get_one(Person, world.ed_person_id)
        actor = Actor(person_id=person.id, role=person.role, organisation_id=person.organisation_id)
        windows = Windows(documentation=dt.timedelta(hours=12), emergency_department=dt.timedelta(hours=24))
        if cache is not None:  # warm it, as the first render of a process does
            journals = access.visible_journals(
                session=session, actor=actor, windows=windows, auditing=None, now=utcnow()
            )
            board_rows(session=session, journals=journals, cache=cache)
            session.rollback()
        for _ in range(renders):
            started, started_cpu = time.perf_counter(), time.process_time()
            journals = access.visible_journals(
                session=session, actor=actor, windows=windows, auditing=None, now=utcnow()
            )
            rows = board_rows(session=session, journals=journals, cache=cache)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert len(rows) == len(world.journal_ids)
            session.rollback()
    engine.dispose()
    return timings, cpu


async def _live(
    push_base: str, board_base: str, world: BoardWorld, boards: int, rounds: int, directory: Path
) -> list[float]:
    import httpx2

    from journal.entry import Author, AuthorisationLevel, new_entry
    from journal.entry import Role as AuthorRole
    from journal.hlc import Hlc
    from journal.kinds.record import Note
    from server.sync.writers import wire
    from sync.client import SyncClient
    from sync.store import LocalStore

    store, client = _tablet(push_base, world.crew, directory / "tablet.ppjstore")
    assert isinstance(store, LocalStore) and isinstance(client, SyncClient)
    author = Author(
        person_id=str(world.crew.person_id),
        name="Bench Medic",
        role=AuthorRole.PARAMEDICINER,
        authorisation_level=AuthorisationLevel.SPECIAL_COMPETENCE,
    )
    arrivals: list[list[float]] = [[] for _ in range(boards)]
    ready = asyncio.Event()
    opened = 0
    limits = httpx2.Limits(max_connections=boards + 5, max_keepalive_connections=boards + 5)

    async with httpx2.AsyncClient(
        base_url=board_base, cookies={"ppj_session": world.ed_cookie}, timeout=None, limits=limits
    ) as http:

        async def board(index: int) -> None:
            nonlocal opened
            async with http.stream("GET", "/board/events") as response:
                assert response.status_code == 200
                async for line in response.aiter_lines():
                    if line.startswith("retry:"):
                        opened += 1
                        if opened == boards:
                            ready.set()
                    elif line == "event: changed":
                        arrivals[index].append(time.perf_counter())

        tasks = [asyncio.create_task(board(i)) for i in range(boards)]
        await asyncio.wait_for(ready.wait(), timeout=120)
        await asyncio.sleep(0.5)
        for arrival in arrivals:
            arrival.clear()
        latencies: list[float] = []
        for n in range(rounds):
            journal_id = world.journal_ids[n % len(world.journal_ids)]
            stamp = store.new_stamp(wall_ms=round(time.time() * 1000))
            entry = new_entry(
                journal_id=journal_id,
                payload=Note(text=f"Runde {n}: patient stabil."),
                author=author,
                device_id=str(world.crew.device_id),
                unit="BENCH-1",
                clinical_time=dt.datetime.now(dt.UTC),
                hlc=Hlc.parse(stamp),
            )
            store.capture(envelope=wire(entry).to_envelope())
            # Each board's first event after this push counts (a push may announce more than once, e.g.
            # its entries and then the access list's own write; later events of the round are not its).
            seen = [len(a) for a in arrivals]
            started = time.perf_counter()
            await asyncio.to_thread(client.push_pending)
            deadline = time.perf_counter() + 10
            while (
                any(len(a) <= k for a, k in zip(arrivals, seen, strict=True))
                and time.perf_counter() < deadline
            ):
                await asyncio.sleep(0.005)
            missing = sum(1 for a, k in zip(arrivals, seen, strict=True) if len(a) <= k)
            if missing:
                raise RuntimeError(f"round {n}: {missing} board(s) got no event within 10 s")
            latencies.extend((a[k] - started) * 1000 for a, k in zip(arrivals, seen, strict=True))
            await asyncio.sleep(0.5)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    store.close()
    return latencies


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} (shared machine)"


@app.command("board")
def bench_board(
    postgres: str = typer.Option(DEFAULT_POSTGRES, help="PostgreSQL server (a fresh schema is used)."),
    patients: int = typer.Option(50, help="Patients announced to the hospital."),
    renders: int = typer.Option(30, help="Board renders to time."),
    boards: int = typer.Option(100, help="Connected boards for the live-update figure."),
    rounds: int = typer.Option(20, help="Tablet pushes for the live-update figure."),
) -> None:
    """Board render time with N patients and push → event latency to M connected boards (PostgreSQL)."""
    typer.echo(f"conditions: {conditions()}; PostgreSQL {_pg_version(postgres)}; {_load()}")
    with _postgres_schema(postgres) as url, tempfile.TemporaryDirectory() as tmp:
        world = _seed(url, patients)
        board_process, board_base = _serve(url, 1)
        push_process, push_base = _serve(url, 1)
        try:
            timings = _render(board_base, world, renders)
            for path, samples in timings.items():
                typer.echo(
                    f"render GET {path} with {patients} patients (HTTP round trip, {renders} renders): "
                    f"median {median(samples):.1f} ms, p95 {percentile(samples, 95):.1f} ms, "
                    f"max {max(samples):.1f} ms"
                )
            for cached, what in (
                (False, "cold: access + heads + one entries query + fold + NEWS2 + ISBAR for every journal"),
                (True, "warm row cache: access + heads query, rows of unchanged journals reused"),
            ):
                vm, cpu = _view_models(url, world, renders, cached=cached)
                typer.echo(
                    f"view-models in-process, {what} ({patients} patients, {renders} builds): "
                    f"median {median(vm):.1f} ms (CPU {median(cpu):.1f} ms), p95 {percentile(vm, 95):.1f} ms"
                )
            typer.echo(f"after the render figures: {_load()}")
            latencies = asyncio.run(_live(push_base, board_base, world, boards, rounds, Path(tmp)))
            typer.echo(
                f"tablet push (process A) → 'changed' event on {boards} boards (process B), {rounds} pushes, "
                f"{len(latencies)} deliveries: p50 {percentile(latencies, 50):.0f} ms, "
                f"p95 {percentile(latencies, 95):.0f} ms, max {max(latencies):.0f} ms"
            )
        finally:
            for process in (board_process, push_process):
                process.terminate()
                process.wait(timeout=10)
