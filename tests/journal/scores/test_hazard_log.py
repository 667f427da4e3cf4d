"""Every score and tablet-clinical hazard in the hazard log names tests that exist (a renamed test must
update the log)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = re.compile(r"`(?:(tests/[\w/]+\.py))?::(\w+)")


def score_hazard_rows() -> list[str]:
    log = (ROOT / "docs" / "safety" / "hazard-log.md").read_text(encoding="utf-8")
    return [line for line in log.splitlines() if line.startswith(("| H-SCORE-", "| H-TABCL-"))]


def test_every_score_hazard_names_tests_that_exist() -> None:
    rows = score_hazard_rows()
    assert len(rows) >= 6
    for row in rows:
        references = REFERENCE.findall(row)
        assert references, f"no test named in: {row[:40]}"
        current_file = ""
        for path, name in references:
            current_file = path or current_file
            source = (ROOT / current_file).read_text(encoding="utf-8")
            assert f"def {name}(" in source, f"{row[:12]} names {current_file}::{name}, which does not exist"
