"""The exceptions of the scores package.

Every exception raised on purpose by ``journal.scores`` derives from :class:`ScoreError`::

    ScoreError                          base; catch this to handle any scoring problem
    ├── ScoreTableError                 the versioned table data is the problem, not the patient data
    │   ├── MalformedTableError         a table file fails validation (at import, or in parse_table)
    │   └── UnknownTableVersionError    no shipped table has this (score, version); also a KeyError
    └── ScoreInputError                 one input value cannot be scored; names the field; also a ValueError

A table problem found at import stops the import: a record system must not start with a score table it
cannot trust. An input problem is raised per call and names the offending field so the caller can show it.
"""

from __future__ import annotations


class ScoreError(Exception):
    """Base of every error the scores package raises on purpose."""


class ScoreTableError(ScoreError):
    """The versioned table data is the problem (not the patient's values)."""


class MalformedTableError(ScoreTableError):
    """Raised when a table file fails validation: bad JSON, a missing or extra field, bands that overlap
    or leave a gap, an id that does not match its score and version, a duplicate (score, version), or
    a version in force (``CURRENT_TABLE_VERSIONS``) that no file provides.
    ``source_name`` names the file (or the name the caller gave) so the broken table can be found."""

    def __init__(self, source_name: str, problem: str) -> None:
        super().__init__(f"score table {source_name!r} is malformed: {problem}")
        self.source_name = source_name
        self.problem = problem


class UnknownTableVersionError(ScoreTableError, KeyError):
    """Raised when a caller asks for a (score, version) that no shipped table provides, for example a
    journal recorded with a table version this build does not ship."""

    def __init__(self, score: str, version: str, known_versions: tuple[str, ...]) -> None:
        known = ", ".join(known_versions) if known_versions else "none"
        message = f"no {score!r} score table with version {version!r} (known versions: {known})"
        super().__init__(message)
        self.score = score
        self.version = version
        self.known_versions = known_versions
        self.message = message

    def __str__(self) -> str:
        # KeyError would otherwise quote the message a second time.
        return self.message


class ScoreInputError(ScoreError, ValueError):
    """Raised when one input value cannot be scored: wrong type, not a finite number, or outside the
    plausible domain the table declares. ``field`` names the input (e.g. ``"respiration_rate"``)."""

    def __init__(self, field: str, value: object, problem: str) -> None:
        super().__init__(f"{field}: {value!r} {problem}")
        self.field = field
        self.value = value
        self.problem = problem
