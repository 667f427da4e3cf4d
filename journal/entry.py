"""The entry envelope (ARCHITECTURE §3): who wrote what, when it happened, how it relates to others.

An entry's content is immutable once written. ``hlc`` is outside the content: a device may re-stamp an entry
no one else has seen, so ``content_hash()`` excludes it. Sync uses the hash for idempotency (same id and same
content: no-op; same id and different content: refused).

Parse entries from the wire with ``entry_from_json`` / ``entry_from_dict``: they resolve the payload class by
(kind, kind_version), raise ``UnknownKindError`` for a kind this build does not know (sync quarantines it) and
``EntryValidationError`` with field-level errors for anything refused. Build new ones with ``new_entry``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, NamedTuple, Self
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

import journal.kinds  # noqa: F401  (registers every kind before the first entry is parsed)
from journal.errors import EntryValidationError, FieldError
from journal.hlc import WRITER_PATTERN, Hlc, HlcField
from journal.ids import new_uuid7
from journal.kinds.common import AUTORISATIONS_ID_PATTERN
from journal.payload import Cardinality, Payload, device_context, errors_from_pydantic, validate_payload


class Role(StrEnum):
    """What the author was acting as (ARCHITECTURE §5 roles that write entries)."""

    AMBULANCEASSISTENT = "ambulanceassistent"
    AMBULANCEBEHANDLER = "ambulancebehandler"
    PARAMEDICINER = "paramediciner"
    PHYSICIAN = "physician"
    DISPATCHER = "dispatcher"
    ED_STAFF = "ed_staff"
    SERVER = "server"


CLINICAL_ROLES = frozenset(
    {Role.AMBULANCEASSISTENT, Role.AMBULANCEBEHANDLER, Role.PARAMEDICINER, Role.PHYSICIAN}
)
"""Roles whose entries are health records they must sign (journalføringspligt, prehospital.md §4)."""


class AuthorisationLevel(StrEnum):
    """The author's legal standing, as Autorisationsregistret would show it."""

    NONE = "none"
    """Not an authorised health professional (dispatch staff, systems)."""
    AUTHORISED = "authorised"
    """An authorised health professional (e.g. ambulancebehandler, nurse)."""
    SPECIAL_COMPETENCE = "special_competence"
    """Ambulancebehandler med særlig kompetence (paramediciner), the level Sundhedsloven §42a names."""
    PHYSICIAN = "physician"
    """Læge."""


class Author(BaseModel):
    """The person who recorded the entry (may differ from who uploaded it)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    person_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    authorisation_level: AuthorisationLevel
    autorisations_id: str | None = Field(default=None, pattern=AUTORISATIONS_ID_PATTERN)


class ClinicalTime(BaseModel):
    """When it happened (not when it was written): typed, tapped "now", or from a monitor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime
    estimated: bool = False
    device_clock_offset_ms: int | None = Field(
        default=None,
        description="the writing device's clock minus server time, as estimated at the last sync",
    )


SOURCE_PATTERN = r"^(manual|dispatch|nsp|server|device:[A-Za-z0-9][A-Za-z0-9._:-]{0,99})$"


class FoldView(NamedTuple):
    """An entry as the fold reads it (``Entry.fold_view``)."""

    payload: Payload
    cardinality: Cardinality
    kind: str
    signer: str | None
    stamp: str
    """The encoded HLC stamp (``order_key[0]``)."""
    time_key: tuple[float, str, str]


class Entry(BaseModel):
    """One immutable journal entry with its validated payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entry_id: UUID
    journal_id: UUID
    kind: str = Field(min_length=1, max_length=64)
    kind_version: int = Field(ge=1)
    payload: SerializeAsAny[Payload]
    author: Author
    device_id: str = Field(pattern=WRITER_PATTERN, description="the writer id of the device or process")
    unit: str | None = Field(default=None, max_length=50, description="call sign of the unit")
    clinical_time: ClinicalTime
    source: str = Field(pattern=SOURCE_PATTERN)
    based_on: tuple[UUID, ...] = ()
    supersedes: tuple[UUID, ...] = ()
    hlc: HlcField

    @model_validator(mode="before")
    @classmethod
    def _resolve_payload(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        kind, version, payload = data.get("kind"), data.get("kind_version"), data.get("payload")
        if isinstance(payload, Payload):
            if (kind, version) != (payload.KIND, payload.VERSION):
                raise EntryValidationError(
                    [
                        FieldError(
                            "payload",
                            f"payload is {payload.KIND} v{payload.VERSION}, entry says {kind} v{version}",
                        )
                    ]
                )
            return data
        if not isinstance(kind, str) or not isinstance(version, int) or isinstance(version, bool):
            return data  # field validation reports the bad kind / kind_version
        source = data.get("source")
        device = isinstance(source, str) and source.startswith("device:")
        try:
            model = validate_payload(kind, version, payload, device_sourced=device)
        except EntryValidationError as exc:
            raise exc.prefixed("payload") from None
        return {**data, "payload": model}

    @field_validator("entry_id", "journal_id")
    @classmethod
    def _made_on_the_device_as_uuid7(cls, v: UUID) -> UUID:
        if v.version != 7:
            raise ValueError(f"must be a UUIDv7 made on the device (got version {v.version})")
        return v

    @field_validator("supersedes")
    @classmethod
    def _no_self_reference(cls, v: tuple[UUID, ...]) -> tuple[UUID, ...]:
        if len(set(v)) != len(v):
            raise ValueError("an entry id is listed twice")
        return v

    @model_validator(mode="after")
    def _envelope_rules(self) -> Entry:
        card = self.payload.CARDINALITY
        if card == "amendment" and len(self.supersedes) < 1:
            raise ValueError(f"a {self.kind} must name the entry it amends in 'supersedes'")
        if card != "amendment" and self.supersedes:
            raise ValueError(
                "only corrections and retractions supersede entries; use based_on for new values"
            )
        if self.entry_id in self.based_on or self.entry_id in self.supersedes:
            raise ValueError("an entry cannot be based on or supersede itself")
        if self.payload.requires_clinician() and (
            self.source != "manual" or self.author.role not in CLINICAL_ROLES
        ):
            raise ValueError(f"a {self.kind} is a clinical decision: a clinician must record it by hand")
        if self.hlc.writer != self.device_id:
            # The HLC's writer is the device (or server process) that stamped it: one clock per writer.
            raise ValueError(
                f"hlc writer {self.hlc.writer!r} is not the entry's device_id {self.device_id!r}"
            )
        return self

    # Sort and lookup keys, computed once at construction so the fold never re-derives them (it runs over
    # thousands of entries per call): strings hash and compare in C, UUID and Hlc objects do not. They are
    # cached properties, kept in the instance dict (fast to read; pydantic's equality ignores them).
    def model_post_init(self, context: Any, /) -> None:
        for name in _CACHED_KEYS:
            getattr(self, name)  # fills the cache now, so no read during a fold has to compute it

    @cached_property
    def clinical_author(self) -> bool:
        """Whether the author writes as a health professional (and so must sign)."""
        return self.author.role in CLINICAL_ROLES

    @cached_property
    def signer(self) -> str | None:
        """The author's person id if they must sign their entries (a clinical role), else None."""
        return self.author.person_id if self.clinical_author else None

    @cached_property
    def key(self) -> str:
        """The entry id as 32 hex digits (the fold's lookup key)."""
        return self.entry_id.hex

    @cached_property
    def refs(self) -> tuple[str, ...]:
        """``based_on`` then ``supersedes``, as keys."""
        return tuple(u.hex for u in self.based_on + self.supersedes)

    @cached_property
    def order_key(self) -> tuple[str, str]:
        """HLC order (encoded stamp, then entry id): the order of edits of one fact."""
        return (self.hlc.encode(), self.key)

    @cached_property
    def time_key(self) -> tuple[float, str, str]:
        """Clinical order: clinical time, then HLC, then entry id (deterministic ties)."""
        return (self.clinical_time.at.timestamp(), self.hlc.encode(), self.key)

    @cached_property
    def fold_view(self) -> FoldView:
        """What the fold reads of every entry, in one tuple: one attribute read instead of eight (a pydantic
        attribute read costs several times a tuple unpack, and the fold runs over thousands of entries)."""
        payload = self.payload
        return FoldView(
            payload, payload.CARDINALITY, self.kind, self.signer, self.order_key[0], self.time_key
        )

    @property
    def device_sourced(self) -> bool:
        return self.source.startswith("device:")

    def warnings(self) -> list[FieldError]:
        """The payload's stored warnings, with ``payload.`` paths."""
        return [FieldError(f"payload.{w.field}", w.message) for w in self.payload.warnings()]

    def content_dict(self) -> dict[str, Any]:
        """The JSON-ready content: everything but ``hlc``."""
        return self.model_dump(mode="json", exclude={"hlc"})

    def content_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of the content (sorted keys, no spaces, UTF-8), without hlc."""
        canonical = json.dumps(self.content_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_json(self) -> str:
        return self.model_dump_json()

    def restamped(self, hlc: Hlc) -> Entry:
        """The same content under a new HLC (only for an entry no one else has seen yet)."""
        return self.model_copy(update={"hlc": hlc})

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A validated copy: pydantic's copy would skip validation and keep stale cached sort keys."""
        del deep  # entries are immutable all the way down; a shallow copy shares nothing mutable
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(update or {})
        source = data["source"]
        return self.model_validate(
            data, context=device_context(isinstance(source, str) and source.startswith("device:"))
        )


_CACHED_KEYS = ("key", "refs", "order_key", "time_key", "clinical_author", "signer", "fold_view")


def entry_from_dict(data: Mapping[str, Any]) -> Entry:
    """Parse and validate an entry; ``UnknownKindError`` or field-level ``EntryValidationError``."""
    source = data.get("source")
    device = isinstance(source, str) and source.startswith("device:")
    try:
        # The context matters for payload instances too: pydantic re-runs a model's after-validators on them.
        return Entry.model_validate(data, context=device_context(device))
    except ValidationError as exc:
        errors = [FieldError(e.field or "(entry)", e.message) for e in errors_from_pydantic(exc)]
        raise EntryValidationError(errors) from None


def entry_from_json(text: str | bytes) -> Entry:
    """Parse and validate an entry from JSON text."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EntryValidationError([FieldError("(entry)", f"not valid JSON: {exc.msg}")]) from None
    if not isinstance(data, dict):
        raise EntryValidationError([FieldError("(entry)", "an entry must be a JSON object")])
    return entry_from_dict(data)


def new_entry(
    *,
    journal_id: UUID,
    payload: Payload | Mapping[str, Any],
    kind: str | None = None,
    kind_version: int | None = None,
    author: Author,
    device_id: str,
    clinical_time: datetime | ClinicalTime,
    hlc: Hlc,
    source: str = "manual",
    unit: str | None = None,
    based_on: tuple[UUID, ...] = (),
    supersedes: tuple[UUID, ...] = (),
    entry_id: UUID | None = None,
) -> Entry:
    """Make a new entry (a fresh UUIDv7 unless one is given). A payload given as a mapping is validated for
    (kind, kind_version) with the device rule applied — the way to build a device-sourced payload."""
    if isinstance(payload, Payload):
        kind, kind_version = payload.KIND, payload.VERSION
        raw: Any = payload
    else:
        if kind is None or kind_version is None:
            raise EntryValidationError(
                [FieldError("kind", "kind and kind_version are needed for a raw payload")]
            )
        raw = dict(payload)
    ct = clinical_time if isinstance(clinical_time, ClinicalTime) else ClinicalTime(at=clinical_time)
    return entry_from_dict(
        {
            "entry_id": entry_id or new_uuid7(),
            "journal_id": journal_id,
            "kind": kind,
            "kind_version": kind_version,
            "payload": raw,
            "author": author,
            "device_id": device_id,
            "unit": unit,
            "clinical_time": ct,
            "source": source,
            "based_on": based_on,
            "supersedes": supersedes,
            "hlc": hlc,
        }
    )
