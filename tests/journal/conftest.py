"""Fixtures for the journal tests: a way to make one entry with sensible defaults."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from journal.entry import Author, AuthorisationLevel, Entry, Role, new_entry
from journal.hlc import Hlc
from journal.ids import new_uuid7
from journal.payload import Payload

PARAMEDIC = Author(
    person_id="p-anne",
    name="Anne Holm",
    role=Role.PARAMEDICINER,
    authorisation_level=AuthorisationLevel.SPECIAL_COMPETENCE,
)
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

MakeEntry = Callable[..., Entry]


@pytest.fixture
def make_entry() -> MakeEntry:
    """``make_entry(payload_or_dict, kind=..., source=..., ...)``: a valid envelope around the payload."""
    journal_id = new_uuid7()
    counter = [0]

    def make(payload: Payload | Mapping[str, Any], **kw: Any) -> Entry:
        counter[0] += 1
        args: dict[str, Any] = {
            "journal_id": journal_id,
            "payload": payload,
            "author": PARAMEDIC,
            "device_id": "tab-1",
            "clinical_time": T0,
            "hlc": Hlc(1_764_000_000_000, counter[0], "tab-1"),
        }
        if not isinstance(payload, Payload):
            args["kind_version"] = 1
        args.update(kw)
        return new_entry(**args)

    return make
