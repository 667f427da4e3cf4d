"""The exceptions the journal package raises.

::

    JournalError                      anything the journal model refuses
    ├── EntryValidationError          an entry or payload is refused; carries field-level errors
    │   └── (pydantic type errors are converted to it, so callers catch one thing)
    ├── UnknownKindError              (kind, kind_version) is not in the registry — sync quarantines it
    ├── InvalidCprError               a CPR number is malformed or names no real date (also a ValueError)
    ├── InvalidHlcError               a hybrid-logical-clock stamp string does not parse (also a ValueError)
    └── ConflictingEntryError         two entries share an entry_id but differ in content

Classes that are also ``ValueError`` are raised inside pydantic validators, where pydantic turns them into
field-level errors; the others are never raised inside a validator except ``EntryValidationError``, which
pydantic lets through unchanged (it is not a ValueError), so field names survive.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class FieldError:
    """One refused field: a dotted path (``payload.spo2.value``) and a message a paramedic understands."""

    field: str
    message: str


class JournalError(Exception):
    """Base of every error the journal model raises."""


class EntryValidationError(JournalError):
    """Raised when an entry (or its payload) is refused; ``errors`` lists every refused field."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors) or "entry refused")

    def prefixed(self, prefix: str) -> EntryValidationError:
        """The same errors with ``prefix.`` in front of each field path (payload errors inside an entry)."""
        return EntryValidationError(
            [FieldError(f"{prefix}.{e.field}" if e.field else prefix, e.message) for e in self.errors]
        )


class UnknownKindError(JournalError):
    """Raised when an entry names a (kind, kind_version) this build does not know; sync quarantines it."""

    def __init__(self, kind: str, kind_version: int) -> None:
        self.kind = kind
        self.kind_version = kind_version
        super().__init__(f"unknown entry kind {kind!r} version {kind_version}")


class InvalidCprError(JournalError, ValueError):
    """Raised when a CPR number is not 10 digits (optionally DDMMYY-SSSS) or names an impossible date."""


class InvalidHlcError(JournalError, ValueError):
    """Raised when a hybrid-logical-clock stamp string is malformed."""


class ConflictingEntryError(JournalError):
    """Raised by the fold when two entries share an ``entry_id`` but differ in content.

    Sync refuses such an upload (ARCHITECTURE §4), so seeing one in a fold means the log is corrupt.
    """

    def __init__(self, entry_id: UUID) -> None:
        self.entry_id = entry_id
        super().__init__(f"two different entries share entry_id {entry_id}")
