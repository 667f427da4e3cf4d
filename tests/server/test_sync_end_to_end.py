"""The reference sync client against the real app, on SQLite and PostgreSQL (the ``database_url`` contract).

Two tablets with their own enrolled devices and crew; entries are real journal entries.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from journal.entry import Entry
from journal.ids import new_uuid7
from journal.kinds.record import Note
from server.app import create_app
from server.audit.models import AuditEvent
from server.config import Settings
from server.identity.models import Role
from server.identity.service import revoke_device
from server.sync.models import EntryRow, QuarantinedEntry, StoreIncarnation
from sync.errors import SyncRefusedError
from sync.protocol import MAX_PUSH_BYTES, PushResultCode, WireEntry
from tests.server.sync_tablets import Tablet, envelope_of, make_tablet
from tests.server.world import World


@pytest.fixture
def app(engine: Engine, database_url: str) -> Iterator[TestClient]:
    yield create_app(Settings(database_url=database_url), engine=engine)  # type: ignore[misc]


@pytest.fixture
def tablets(
    app: object, sessions: sessionmaker[Session], world: World, tmp_path: Path
) -> Iterator[tuple[Tablet, Tablet]]:
    a = make_tablet(
        app=app,  # type: ignore[arg-type]
        sessions=sessions,
        person_id=world.callers[Role.paramediciner].person_id,
        path=tmp_path / "a.ppjstore",
    )
    b = make_tablet(
        app=app,  # type: ignore[arg-type]
        sessions=sessions,
        person_id=world.callers[Role.ambulancebehandler].person_id,
        path=tmp_path / "b.ppjstore",
    )
    yield a, b
    a.store.close()
    b.store.close()


def _count(sessions: sessionmaker[Session], model: type[object]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


def _push_body(tablet: Tablet, items: list[tuple[int, object]]) -> bytes:
    from sync.protocol import PushItem, PushRequest, WireEntry

    request = PushRequest(
        device_id=tablet.device_id,
        incarnation_id=tablet.store.incarnation_id,
        items=[PushItem(device_seq=seq, entry=WireEntry.from_envelope(envelope_of(e))) for seq, e in items],  # type: ignore[arg-type]
    )
    return gzip.compress(request.model_dump_json().encode())


def _post_push(tablet: Tablet, body: bytes) -> dict[str, object]:
    response = tablet.http.post(
        "/sync/v1/push",
        content=body,
        headers={**tablet.headers(), "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_an_entry_made_on_one_tablet_appears_on_the_other(tablets: tuple[Tablet, Tablet]) -> None:
    a, b = tablets
    journal_id = a.open_journal()
    note = a.entry(journal_id, Note(text="Smerter i brystet siden kl. 14."))
    a.capture(note)
    report = a.client.sync_once()
    assert report.confirmed == 2 and a.store.pending_count() == 0

    b.client.sync_once()
    held = {envelope.entry_id for envelope in b.store.journal_entries(journal_id)}
    assert note.entry_id in held and len(held) == 2

    reply = b.entry(journal_id, Note(text="Overtaget af 2. besætning."))
    b.capture(reply)
    b.client.sync_once()
    a.client.sync_once()
    assert reply.entry_id in {e.entry_id for e in a.store.journal_entries(journal_id)}


def test_a_resent_batch_is_a_no_op_and_a_reused_id_is_refused_for_that_entry_only(
    tablets: tuple[Tablet, Tablet], sessions: sessionmaker[Session]
) -> None:
    a, _ = tablets
    journal_id = new_uuid7()
    first, second = a.entry(journal_id), a.entry(journal_id)
    body = _push_body(a, [(1, first), (2, second)])
    assert [r["code"] for r in _post_push(a, body)["results"]] == ["accepted", "accepted"]  # type: ignore[index]
    again = _post_push(a, body)
    assert [r["code"] for r in again["results"]] == ["duplicate", "duplicate"]  # type: ignore[index]
    assert _count(sessions, EntryRow) == 2

    impostor = a.entry(journal_id, Note(text="andet indhold"), entry_id=first.entry_id)
    third = a.entry(journal_id)
    answer = _post_push(a, _push_body(a, [(3, impostor), (4, third)]))
    assert [r["code"] for r in answer["results"]] == ["conflict_id_reused", "accepted"]  # type: ignore[index]
    assert answer["highest_applied_seq"] == 4
    assert _count(sessions, EntryRow) == 3


def test_an_unknown_kind_version_is_quarantined_while_the_rest_of_the_batch_passes(
    tablets: tuple[Tablet, Tablet], sessions: sessionmaker[Session]
) -> None:
    a, _ = tablets
    journal_id = a.open_journal()
    future = a.entry(journal_id)
    content = json.loads(envelope_of(future).content)
    content["kind_version"] = 99
    raw = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    from sync.journal_adapter import EntryEnvelope

    a.store.capture(
        envelope=EntryEnvelope.of(
            entry_id=future.entry_id, journal_id=journal_id, hlc=future.hlc.encode(), content=raw
        )
    )
    after = a.entry(journal_id)
    a.capture(after)
    a.client.sync_once()
    problems = a.store.queue_problems()
    assert [(p.entry_id, p.reason_code) for p in problems] == [(future.entry_id, "unknown_kind_version")]
    assert a.store.pending_count() == 0
    with sessions() as session:
        assert session.scalar(select(QuarantinedEntry.reason)) == "unknown_kind_version"
        assert session.get(EntryRow, after.entry_id) is not None


def test_a_revoked_device_is_refused_at_once(
    tablets: tuple[Tablet, Tablet], sessions: sessionmaker[Session]
) -> None:
    a, _ = tablets
    a.open_journal()
    with sessions() as session:
        revoke_device(session=session, device_id=a.device_id, now=dt.datetime.now(dt.UTC))
        session.commit()
    with pytest.raises(SyncRefusedError) as refused:
        a.client.push_pending()
    assert refused.value.status == 401 and refused.value.code == "device_revoked"
    assert _count(sessions, EntryRow) == 0


def test_push_needs_no_valid_person_token_but_pull_does(
    tablets: tuple[Tablet, Tablet], sessions: sessionmaker[Session]
) -> None:
    a, _ = tablets
    journal_id = a.open_journal()
    a.http.headers["Authorization"] = "Bearer expired-or-unknown"
    a.client.push_pending()
    assert a.store.pending_count() == 0
    with pytest.raises(SyncRefusedError) as refused:
        a.client.pull_journal(journal_id)
    assert refused.value.status == 401 and refused.value.code == "unauthenticated"
    with sessions() as session:
        writes = session.scalars(select(AuditEvent).where(AuditEvent.action == "write")).all()
        assert [(w.actor_role, w.journal_id) for w in writes] == [("device", journal_id)]


def test_a_full_sync_under_an_expired_log_in_still_delivers_the_queue_then_asks_for_a_log_in(
    tablets: tuple[Tablet, Tablet],
) -> None:
    a, _ = tablets
    a.open_journal()
    assert a.store.pending_count() > 0
    a.http.headers["Authorization"] = "Bearer expired-or-unknown"
    with pytest.raises(SyncRefusedError) as refused:
        a.client.sync_once()
    assert refused.value.status == 401 and refused.value.code == "unauthenticated"
    assert a.store.pending_count() == 0


def test_a_stamp_far_ahead_is_restamped_and_the_device_told_why(tablets: tuple[Tablet, Tablet]) -> None:
    a, _ = tablets
    journal_id = new_uuid7()
    ahead = a.entry(journal_id, ahead=dt.timedelta(hours=24))
    answer = _post_push(a, _push_body(a, [(1, ahead)]))
    result = answer["results"][0]  # type: ignore[index]
    assert result["code"] == "restamped" and result["restamp_reason"] == "hlc_ahead_of_bound"
    now_ms = dt.datetime.now(dt.UTC).timestamp() * 1000
    assert int(result["hlc"][:15]) <= now_ms + 5 * 60 * 1000
    assert result["hlc"].endswith(str(a.device_id))


def test_a_malformed_or_oversized_batch_is_refused_whole_and_nothing_is_stored(
    tablets: tuple[Tablet, Tablet], sessions: sessionmaker[Session]
) -> None:
    a, _ = tablets
    journal_id = new_uuid7()
    good = json.loads(gzip.decompress(_push_body(a, [(1, a.entry(journal_id))])))
    good["items"][0]["entry"]["colour"] = "blue"
    headers = {**a.headers(), "Content-Type": "application/json"}
    response = a.http.post("/sync/v1/push", content=json.dumps(good), headers=headers)
    assert response.status_code == 422
    assert (
        response.json()["code"] == "malformed_request" and response.json()["field"] == "items.0.entry.colour"
    )

    bomb = gzip.compress(b" " * (MAX_PUSH_BYTES + 1))
    response = a.http.post("/sync/v1/push", content=bomb, headers={**headers, "Content-Encoding": "gzip"})
    assert response.status_code == 413 and response.json()["code"] == "batch_too_large"

    good["items"][0]["entry"].pop("colour")
    good["protocol_version"] = 2
    response = a.http.post("/sync/v1/push", content=json.dumps(good), headers=headers)
    assert response.status_code == 400 and response.json()["code"] == "unsupported_protocol_version"
    assert _count(sessions, EntryRow) == 0 and _count(sessions, StoreIncarnation) == 0


def test_a_gap_in_device_seq_applies_nothing_after_it(
    tablets: tuple[Tablet, Tablet], sessions: sessionmaker[Session]
) -> None:
    a, _ = tablets
    journal_id = new_uuid7()
    answer = _post_push(a, _push_body(a, [(2, a.entry(journal_id)), (3, a.entry(journal_id))]))
    assert [(r["code"], r["expected_seq"]) for r in answer["results"]] == [
        ("sequence_gap", 1),
        ("sequence_gap", 1),
    ]  # type: ignore[index]
    assert answer["highest_applied_seq"] == 0 and _count(sessions, EntryRow) == 0
    assert PushResultCode.SEQUENCE_GAP.value == "sequence_gap"


def _unknown_version(entry: Entry) -> WireEntry:
    """The entry's wire form claiming kind_version 99 (a version this server does not know)."""
    from sync.journal_adapter import EntryEnvelope

    envelope = envelope_of(entry)
    content = json.loads(envelope.content)
    content["kind_version"] = 99
    raw = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return WireEntry.from_envelope(
        EntryEnvelope.of(
            entry_id=envelope.entry_id, journal_id=envelope.journal_id, hlc=envelope.hlc, content=raw
        )
    )


def _raw_push_body(tablet: Tablet, items: list[tuple[int, Entry | WireEntry]]) -> bytes:
    """Like ``_push_body``, but an item may already be a ``WireEntry`` (sent as it is)."""
    from sync.protocol import PushItem, PushRequest

    request = PushRequest(
        device_id=tablet.device_id,
        incarnation_id=tablet.store.incarnation_id,
        items=[
            PushItem(
                device_seq=seq,
                entry=e if isinstance(e, WireEntry) else WireEntry.from_envelope(envelope_of(e)),
            )
            for seq, e in items
        ],
    )
    return gzip.compress(request.model_dump_json().encode())


def _codes(answer: dict[str, object]) -> list[str]:
    results = answer["results"]
    assert isinstance(results, list)
    return [r["code"] for r in results]


def test_a_batch_mixing_resent_held_conflicting_and_new_entries_stores_each_new_one_once_in_order(
    tablets: tuple[Tablet, Tablet], sessions: sessionmaker[Session]
) -> None:
    """The one query that finds stored and quarantined ids, and the bulk insert after it, decide item by
    item: only the new entries are stored, each once, at the journal's next positions; only the reused
    ids are refused; the pull's single statement gives them once each, and no cursor past the head."""
    a, _ = tablets
    journal_id = new_uuid7()
    from journal.kinds.common import PersonRef
    from journal.kinds.mission import CrewSignOn

    sign_on = a.entry(journal_id, CrewSignOn(unit="T-AMB-1", members=(PersonRef(name=a.author.name),)))
    held = _unknown_version(a.entry(journal_id))
    first = _post_push(a, _raw_push_body(a, [(1, sign_on), (2, held)]))
    assert _codes(first) == ["accepted", "quarantined"]

    new_one, new_two, new_three = a.entry(journal_id), a.entry(journal_id), a.entry(journal_id)
    resent = _post_push(
        a,
        _raw_push_body(
            a,
            [
                (1, sign_on),  # already stored: duplicate
                (2, held),  # already held, same content: quarantined again, not a second row
                (3, new_one),
                (4, new_two),
            ],
        ),
    )
    assert _codes(resent) == ["duplicate", "quarantined", "accepted", "accepted"]
    sign_on_reused = a.entry(journal_id, Note(text="andet indhold"), entry_id=sign_on.entry_id)
    held_reused = a.entry(journal_id, Note(text="også andet"), entry_id=held.entry_id)
    answer = _post_push(a, _raw_push_body(a, [(5, sign_on_reused), (6, held_reused), (7, new_three)]))
    assert _codes(answer) == [
        "conflict_id_reused",
        "conflict_id_reused",
        "accepted",
    ]
    assert answer["highest_applied_seq"] == 7
    with sessions() as session:
        stored = session.execute(
            select(EntryRow.entry_id, EntryRow.position)
            .where(EntryRow.journal_id == journal_id)
            .order_by(EntryRow.position)
        ).all()
        assert session.scalar(select(func.count()).select_from(QuarantinedEntry)) == 1
    assert [(row.entry_id, row.position) for row in stored] == [
        (sign_on.entry_id, 1),
        (new_one.entry_id, 2),
        (new_two.entry_id, 3),
        (new_three.entry_id, 4),
    ]

    pulled = a.http.post(
        "/sync/v1/pull",
        json={"device_id": str(a.device_id), "journal_id": str(journal_id)},
        headers=a.headers(),
    ).json()
    assert [e["entry_id"] for e in pulled["entries"]] == [
        str(e.entry_id) for e in (sign_on, new_one, new_two, new_three)
    ]
    assert pulled["watermark"] == pulled["next_cursor"] and not pulled["has_more"]
    beyond = pulled["watermark"].rpartition(".")[0] + ".5"
    refused = a.http.post(
        "/sync/v1/pull",
        json={"device_id": str(a.device_id), "journal_id": str(journal_id), "after": beyond},
        headers=a.headers(),
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_cursor"
