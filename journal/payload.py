"""The payload base class, field-level issues, and the registry of payload classes by (kind, version).

Validation policy (BRIEF, ARCHITECTURE §3):

* *Type sanity* (wrong type, NaN/infinity, wrong UCUM unit, missing value for a "measured" reading) is always
  refused, whoever or whatever wrote the value.
* *Physically meaningless* values (negative rates, SpO2 above 100 %, diastolic above systolic, GCS item out of
  range, …) are refused with a field-level error when a person typed them — but never when the value came
  from a device (``source`` ``device:<serial>``): a device value is stored as it came, with a warning, and a
  person corrects it with a new entry.
* *Implausible* values (heart rate 0, temperature 24 °C, glucose "HI") are always stored, with a warning.

A payload's ``impossible()`` lists the physically meaningless fields, ``implausible()`` the odd ones;
``warnings()`` is what a stored payload shows (both lists: an impossible value can only be stored when it
came from a device).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, model_validator

from journal.errors import EntryValidationError, FieldError, UnknownKindError
from journal.i18n import DEFAULT_LANGUAGE, text

DEVICE_CONTEXT_KEY = "ppj_device_sourced"

Cardinality = Literal["single", "multi", "amendment"]
"""``single``: one current value per fact key, conflicts when concurrent (identity, destination, …).
``multi``: every entry is its own item (vitals, medications, notes, …). ``amendment``: corrections and
retractions, which join the item they supersede."""


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """A field and a plain-language message: a refusal reason or a stored warning."""

    field: str
    message: str


def device_context(device_sourced: bool = True) -> dict[str, bool]:
    """The pydantic validation context for a payload that came from a medical device."""
    return {DEVICE_CONTEXT_KEY: device_sourced}


def is_device_context(context: Any) -> bool:
    return isinstance(context, dict) and bool(context.get(DEVICE_CONTEXT_KEY, False))


class Payload(BaseModel):
    """Base of every entry payload; subclasses set ``KIND``, ``VERSION`` and ``CARDINALITY``."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)

    KIND: ClassVar[str]
    VERSION: ClassVar[int]
    CARDINALITY: ClassVar[Cardinality]
    TITLE: ClassVar[str]
    CLINICIAN_DECISION: ClassVar[bool] = False
    """True for decisions only a clinician may author by hand (never a device, dispatch or the server)."""
    TIME_IS_VALUE: ClassVar[bool] = False
    """True when the entry's clinical time is the fact's value (timeline marks): equal payloads written with
    different clinical times then disagree."""

    def requires_clinician(self) -> bool:
        """Whether only a clinician may record this payload by hand (an amendment inherits it from the value
        it carries, so a correction cannot put a decision in place that its author could not record)."""
        return self.CLINICIAN_DECISION

    def impossible(self) -> list[FieldIssue]:
        """Meaningless values: refused when a person typed them, stored with a warning from a device."""
        return []

    def implausible(self) -> list[FieldIssue]:
        """Values that are possible but odd enough that the reader should look twice."""
        return []

    def warnings(self) -> list[FieldIssue]:
        """Warnings to show next to a stored payload."""
        return self.impossible() + self.implausible()

    def fact_key(self, *, unit: str | None) -> tuple[str, ...]:
        """For single-valued kinds: which fact this value is a value of (entries with equal keys compete)."""
        del unit
        return (self.KIND,)

    @classmethod
    def title(cls, lang: str = DEFAULT_LANGUAGE) -> str:
        """The kind's name for timelines (``kind.<KIND>`` in the journal catalogue; ``TITLE`` is the
        English name used in code and logs)."""
        return text(lang, f"kind.{cls.KIND}")

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """One line of plain text for timelines and handover text, in ``lang``."""
        return self.title(lang)

    @model_validator(mode="after")
    def _refuse_physically_meaningless(self, info: ValidationInfo) -> Payload:
        if not is_device_context(info.context):
            issues = self.impossible()
            if issues:
                # Not a ValueError: pydantic passes it through, so each refused field keeps its own name.
                raise EntryValidationError([FieldError(i.field, i.message) for i in issues])
        return self


_REGISTRY: dict[tuple[str, int], type[Payload]] = {}
P = TypeVar("P", bound=type[Payload])


def register(cls: P) -> P:
    """Class decorator: make ``cls`` the payload class for (cls.KIND, cls.VERSION)."""
    key = (cls.KIND, cls.VERSION)
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise RuntimeError(f"payload kind {key} registered twice")
    _REGISTRY[key] = cls
    return cls


def payload_class(kind: str, kind_version: int) -> type[Payload]:
    """The payload class for (kind, kind_version); ``UnknownKindError`` when this build does not know it."""
    try:
        return _REGISTRY[(kind, kind_version)]
    except KeyError:
        raise UnknownKindError(kind, kind_version) from None


def registered_kinds() -> dict[tuple[str, int], type[Payload]]:
    """A copy of the registry, for listing and for tests."""
    return dict(_REGISTRY)


def errors_from_pydantic(exc: ValidationError) -> list[FieldError]:
    """Pydantic's errors as field-level errors with dotted paths."""
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"])  # empty: the model as a whole
        message = err["msg"].removeprefix("Value error, ")
        out.append(FieldError(path, message))
    return out


def validate_payload(kind: str, kind_version: int, data: Any, *, device_sourced: bool) -> Payload:
    """Validate ``data`` as the payload of (kind, kind_version); field-level ``EntryValidationError``."""
    cls = payload_class(kind, kind_version)
    try:
        return cls.model_validate(data, context=device_context(device_sourced))
    except ValidationError as exc:
        raise EntryValidationError(errors_from_pydantic(exc)) from None
