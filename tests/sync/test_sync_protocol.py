"""The wire format: golden files (tests/sync/golden/, also the examples of docs/sync/protocol.md) and the
validation rules a second client or the server relies on.

Regenerate the golden files after an intended change with ``PPJ_UPDATE_GOLDEN=1 pytest tests/sync``;
a protocol change that alters them needs a new ``protocol_version``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import pytest
from pydantic import BaseModel, ValidationError

from sync.journal_adapter import Stamp
from sync.protocol import (
    MAX_PUSH_ENTRIES,
    AccessResponse,
    ErrorBody,
    ErrorCode,
    HlcBound,
    JournalAccess,
    PullRequest,
    PullResponse,
    PushItem,
    PushRequest,
    PushResponse,
    PushResult,
    PushResultCode,
    QuarantineReason,
    RestampReason,
    ServerTiming,
    WireEntry,
)
from tests.sync.factories import note

GOLDEN = Path(__file__).with_name("golden")
DEVICE = UUID("0196b4a0-0000-7000-8000-00000000d0d0")
INCARNATION = UUID("0196b4a0-0000-7000-8000-00000000c0c0")
JOURNAL = UUID("0196b4a0-0000-7000-8000-00000000a0a0")
IDS = [UUID(f"0196b4a0-0000-7000-8000-0000000e000{n}") for n in range(1, 7)]
T = datetime(2026, 11, 25, 18, 0, 0, 120000, tzinfo=UTC)
TIMING = ServerTiming(received_at=T, sent_at=datetime(2026, 11, 25, 18, 0, 0, 135000, tzinfo=UTC))


def stamp(ms: int, counter: int = 0, writer: str = str(INCARNATION)) -> str:
    return Stamp(ms, counter, writer).encode()


def entry(n: int, text: str, ms: int) -> WireEntry:
    return WireEntry.from_envelope(note(journal_id=JOURNAL, text=text, entry_id=IDS[n], hlc=stamp(ms)))


EXAMPLES: dict[str, BaseModel] = {
    "push_request": PushRequest(
        device_id=DEVICE,
        incarnation_id=INCARNATION,
        items=[
            PushItem(device_seq=41, entry=entry(0, "RR 22, SpO2 93 %", 1_795_672_799_000)),
            PushItem(device_seq=42, entry=entry(1, "Oxygen 2 l/min", 1_795_672_799_500)),
        ],
    ),
    "push_response": PushResponse(
        incarnation_id=INCARNATION,
        highest_applied_seq=45,
        results=[
            PushResult(
                device_seq=41, entry_id=IDS[0], code=PushResultCode.ACCEPTED, hlc=stamp(1_795_672_799_000)
            ),
            PushResult(
                device_seq=42, entry_id=IDS[1], code=PushResultCode.DUPLICATE, hlc=stamp(1_795_672_799_500)
            ),
            PushResult(
                device_seq=43,
                entry_id=IDS[2],
                code=PushResultCode.QUARANTINED,
                quarantine_reason=QuarantineReason.UNKNOWN_KIND_VERSION,
                detail="kind 'vitals' version 3 is not known to this server",
            ),
            PushResult(device_seq=44, entry_id=IDS[3], code=PushResultCode.CONFLICT_ID_REUSED),
            PushResult(
                device_seq=45,
                entry_id=IDS[4],
                code=PushResultCode.RESTAMPED,
                hlc=stamp(1_795_672_800_135, 1),
                restamp_reason=RestampReason.HLC_AHEAD_OF_BOUND,
            ),
            PushResult(device_seq=47, entry_id=IDS[5], code=PushResultCode.SEQUENCE_GAP, expected_seq=46),
        ],
        timing=TIMING,
        hlc_bound=HlcBound(max_ahead_ms=300_000, server_hlc=stamp(1_795_672_800_135, 1, "server-1")),
    ),
    "pull_request": PullRequest(device_id=DEVICE, journal_id=JOURNAL, after="a0a0.17", limit=100),
    "pull_response": PullResponse(
        journal_id=JOURNAL,
        entries=[entry(0, "RR 22, SpO2 93 %", 1_795_672_799_000)],
        next_cursor="a0a0.18",
        watermark="a0a0.18",
        has_more=False,
        timing=TIMING,
    ),
    "access_response": AccessResponse(
        device_id=DEVICE,
        journals=[
            JournalAccess(journal_id=JOURNAL, granted_at=T, until=datetime(2026, 11, 26, 6, tzinfo=UTC))
        ],
        timing=TIMING,
    ),
    # The same list when the client asked for watermarks (GET /sync/v1/access?watermarks=true).
    "access_response_with_watermarks": AccessResponse(
        device_id=DEVICE,
        journals=[
            JournalAccess(
                journal_id=JOURNAL,
                granted_at=T,
                until=datetime(2026, 11, 26, 6, tzinfo=UTC),
                watermark="a0a0.18",
            )
        ],
        timing=TIMING,
    ),
    "error_body": ErrorBody(
        code=ErrorCode.MALFORMED_REQUEST, message="device_seq must be strictly increasing", field="items"
    ),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_wire_format_matches_its_golden_file(name: str) -> None:
    model = EXAMPLES[name]
    text = model.model_dump_json(indent=2) + "\n"
    path = GOLDEN / f"{name}.json"
    if os.environ.get("PPJ_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text
    assert type(model).model_validate_json(path.read_text(encoding="utf-8")) == model


def test_a_batch_out_of_order_is_refused_naming_the_field() -> None:
    items = EXAMPLES["push_request"].model_dump()["items"]
    with pytest.raises(ValidationError, match="items: device_seq must be strictly increasing"):
        PushRequest(device_id=DEVICE, incarnation_id=INCARNATION, items=list(reversed(items)))


def test_a_batch_over_the_limit_is_refused() -> None:
    item = EXAMPLES["push_request"].model_dump()["items"][0]
    items = [{**item, "device_seq": n + 1} for n in range(MAX_PUSH_ENTRIES + 1)]
    with pytest.raises(ValidationError, match="at most 200 items"):
        PushRequest(device_id=DEVICE, incarnation_id=INCARNATION, items=items)


def test_unknown_fields_are_refused_not_ignored() -> None:
    text = (GOLDEN / "pull_request.json").read_text().replace('"limit"', '"limt"')
    with pytest.raises(ValidationError, match="limt"):
        PullRequest.model_validate_json(text)


def test_another_protocol_version_is_refused() -> None:
    text = (
        (GOLDEN / "pull_request.json").read_text().replace('"protocol_version": 1', '"protocol_version": 2')
    )
    with pytest.raises(ValidationError, match="protocol_version"):
        PullRequest.model_validate_json(text)


@pytest.mark.parametrize(
    ("code", "extra", "message"),
    [
        (PushResultCode.ACCEPTED, {}, "hlc: result code accepted requires it"),
        (PushResultCode.QUARANTINED, {}, "quarantine_reason: result code quarantined requires it"),
        (
            PushResultCode.CONFLICT_ID_REUSED,
            {"hlc": stamp(1)},
            "hlc: result code conflict_id_reused forbids it",
        ),
        (PushResultCode.SEQUENCE_GAP, {}, "expected_seq: result code sequence_gap requires it"),
    ],
)
def test_a_result_carries_exactly_the_fields_its_code_needs(
    code: PushResultCode, extra: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        PushResult.model_validate({"device_seq": 1, "entry_id": str(IDS[0]), "code": code.value, **extra})


def test_a_pulled_entry_of_another_journal_is_refused() -> None:
    other = WireEntry.from_envelope(note(journal_id=DEVICE, text="elsewhere"))
    with pytest.raises(ValidationError, match="entries.0.journal_id"):
        PullResponse(
            journal_id=JOURNAL, entries=[other], next_cursor="x", watermark="x", has_more=False, timing=TIMING
        )


def test_timestamps_without_a_timezone_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        ServerTiming.model_validate({"received_at": "2026-11-25T18:00:00", "sent_at": "2026-11-25T18:00:00Z"})
