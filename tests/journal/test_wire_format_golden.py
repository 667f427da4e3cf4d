"""The entry wire format and content hash are pinned by golden files (sync and stored logs depend on them).

A deliberate format change means a new ``kind_version`` or envelope version, and new golden files — never an
edit of these. Regenerate only for a new file name, from the demo scenarios.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journal.demo import scenarios
from journal.entry import entry_from_dict

GOLDEN = Path(__file__).parent / "golden"
FILES = sorted(GOLDEN.glob("entry-*.json"))


def test_there_are_golden_entries() -> None:
    assert len(FILES) >= 3


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_golden_entry_parses_and_hashes_exactly_as_recorded(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    entry = entry_from_dict(doc["entry"])
    assert entry.content_hash() == doc["content_hash"]
    assert json.loads(entry.to_json()) == doc["entry"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_demo_still_produces_the_golden_entry(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    demo = {str(e.entry_id): e for s in scenarios() for e in s.entries}
    assert json.loads(demo[doc["entry"]["entry_id"]].to_json()) == doc["entry"]
