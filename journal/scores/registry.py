"""The shipped score tables: loaded and validated once at import, looked up by (score, version).

Tables live as JSON files in ``journal/scores/tables/``, one file per (score, version), named
``<id>.json`` where ``id`` is ``<score>-<version>``. They ship inside the package as package data.
Reading them at import is this package's only I/O; everything else is pure.

Versioning rules (the control against a new table silently re-scoring a closed journal):

- A journal records the table version of each score when it is opened (``CURRENT_TABLE_VERSIONS`` at
  that moment), and every scoring call takes that version explicitly; there is no default version.
- A shipped table file is never edited: a change is a new file with a new version. The tests pin the
  fingerprint (SHA-256 of the canonical JSON) of every shipped table, so an edit in place fails them.
- Changing ``CURRENT_TABLE_VERSIONS`` affects only journals opened afterwards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from types import MappingProxyType
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from journal.scores.errors import MalformedTableError, UnknownTableVersionError
from journal.scores.table_schema import GcsTable, News2Table, PassTable, ScoreTable, ToksTable
from journal.scores.vocabulary import ScoreName

_TABLE_ADAPTER: TypeAdapter[ScoreTable] = TypeAdapter(ScoreTable)

TableKey = tuple[str, str]
"""(score, version), e.g. ("news2", "rcp-2017")."""


def parse_table(text: str | bytes, *, source_name: str) -> ScoreTable:
    """Validate one table file's text; raises MalformedTableError naming ``source_name``."""
    try:
        return _TABLE_ADAPTER.validate_json(text)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in detail['loc']) or '(file)'}: {detail['msg']}"
            for detail in error.errors(include_url=False)
        )
        raise MalformedTableError(source_name, problems) from error


def fingerprint(text: str | bytes) -> str:
    """SHA-256 of the table's canonical JSON (sorted keys, no whitespace): formatting changes keep it,
    any change of content changes it."""
    canonical = json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_tables(
    files: Iterable[tuple[str, str | bytes]],
) -> tuple[dict[TableKey, ScoreTable], dict[TableKey, str]]:
    """Validate (file name, text) pairs into tables and their fingerprints, keyed by (score, version).

    Refuses a file whose name is not ``<id>.json``, and a (score, version) given twice."""
    tables: dict[TableKey, ScoreTable] = {}
    fingerprints: dict[TableKey, str] = {}
    for name, text in files:
        parsed = parse_table(text, source_name=name)
        if name != f"{parsed.id}.json":
            raise MalformedTableError(name, f"file name must be {parsed.id}.json (the table's id)")
        key = (parsed.score, parsed.version)
        if key in tables:
            raise MalformedTableError(name, f"a second table for score {key[0]!r} version {key[1]!r}")
        tables[key] = parsed
        fingerprints[key] = fingerprint(text)
    return tables, fingerprints


def _shipped_files() -> list[tuple[str, bytes]]:
    directory = resources.files("journal.scores") / "tables"
    return sorted(
        (entry.name, entry.read_bytes())
        for entry in directory.iterdir()
        if entry.is_file() and entry.name.endswith(".json")
    )


_tables, _fingerprints = load_tables(_shipped_files())

TABLES: Mapping[TableKey, ScoreTable] = MappingProxyType(_tables)
"""Every shipped table by (score, version). Read-only."""

TABLE_FINGERPRINTS: Mapping[TableKey, str] = MappingProxyType(_fingerprints)
"""SHA-256 of each shipped table's canonical JSON, by (score, version). Read-only."""

CURRENT_TABLE_VERSIONS: Mapping[str, str] = MappingProxyType(
    {
        ScoreName.GCS: "teasdale-1974",
        ScoreName.NEWS2: "rcp-2017",
        ScoreName.TOKS: "rn-2.1",
        ScoreName.PASS: "copenhagen-2016",
    }
)
"""Score → table version in force for journals opened now. Read-only: a journal copies it when opened
(``dict(CURRENT_TABLE_VERSIONS)``) and scores with its copy for ever after."""


def versions_of(score: str) -> tuple[str, ...]:
    """Every shipped version of ``score``, sorted."""
    return tuple(sorted(version for table_score, version in TABLES if table_score == score))


def table(score: str, version: str) -> ScoreTable:
    """The table for (score, version); raises UnknownTableVersionError listing the known versions."""
    try:
        return TABLES[(score, version)]
    except KeyError:
        raise UnknownTableVersionError(score, version, versions_of(score)) from None


_T = TypeVar("_T", GcsTable, News2Table, ToksTable, PassTable)


def typed_table(score: ScoreName, version: str, kind: type[_T]) -> _T:
    """``table(score, version)`` narrowed to the table class of that score (for the scoring functions)."""
    found = table(score, version)
    # The registry keys every table by its own ``score`` field, so the class always matches.
    assert isinstance(found, kind), f"{score}/{version} loaded as {type(found).__name__}"
    return found


def _check_versions_in_force() -> None:
    for score, version in CURRENT_TABLE_VERSIONS.items():
        if (score, version) not in TABLES:
            raise MalformedTableError(
                f"{score}-{version}.json", "is in force (CURRENT_TABLE_VERSIONS) but not shipped"
            )


_check_versions_in_force()
