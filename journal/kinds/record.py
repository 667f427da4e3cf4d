"""Record-keeping kinds: free-text notes, signatures, corrections and retractions.

Corrections and retractions never change the entry they name (Danish journalføring: an error is corrected
by an addition that shows who and when, and the original stays readable). The envelope's ``supersedes``
names the entry; the fold shows it struck, with the reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, SerializeAsAny, ValidationInfo, model_validator

from journal.errors import EntryValidationError
from journal.hlc import HlcField
from journal.i18n import DEFAULT_LANGUAGE, translator
from journal.payload import Cardinality, Payload, is_device_context, register, validate_payload


@register
class Note(Payload):
    """Free text."""

    KIND: ClassVar[str] = "note"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Note"

    text: str = Field(min_length=1, max_length=10_000)

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        del lang  # the author's own words
        return self.text


@register
class Signature(Payload):
    """The author attests their own entries whose HLC is at or before ``up_to`` (ARCHITECTURE §3)."""

    KIND: ClassVar[str] = "signature"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "multi"
    TITLE: ClassVar[str] = "Signature"

    up_to: HlcField
    statement: str = Field(default="I attest my entries in this journal.", max_length=500)

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)("signature.summary", statement=self.statement)


@register
class Correction(Payload):
    """A new value for the entry named in the envelope's ``supersedes``, with the reason.

    ``replacement`` is a full payload of the corrected entry's kind and version, validated as such.
    """

    KIND: ClassVar[str] = "correction"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "amendment"
    TITLE: ClassVar[str] = "Correction"

    reason: str = Field(min_length=1, max_length=1000)
    corrected_kind: str
    corrected_kind_version: int
    replacement: SerializeAsAny[Payload]

    def requires_clinician(self) -> bool:
        return self.replacement.requires_clinician()

    @model_validator(mode="before")
    @classmethod
    def _validate_replacement(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        kind, version, replacement = (
            data.get("corrected_kind"),
            data.get("corrected_kind_version"),
            data.get("replacement"),
        )
        if isinstance(replacement, Payload):
            if (kind, version) != (replacement.KIND, replacement.VERSION):
                raise ValueError(
                    "replacement's kind/version differ from corrected_kind/corrected_kind_version"
                )
            return data
        if not isinstance(kind, str) or not isinstance(version, int) or isinstance(version, bool):
            return data  # the field validators report the missing or mistyped kind
        if kind in ("correction", "retraction", "signature"):
            raise ValueError(f"a {kind} cannot be corrected; correct the entry it names instead")
        try:
            model = validate_payload(
                kind, version, replacement, device_sourced=is_device_context(info.context)
            )
        except EntryValidationError as exc:
            raise exc.prefixed("replacement") from None
        return {**data, "replacement": model}

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)(
            "correction.summary", replacement=self.replacement.summary(lang), reason=self.reason
        )


@register
class Retraction(Payload):
    """The entry named in ``supersedes`` should not have been written (wrong patient, mistake); it stays
    readable, struck through, with the reason."""

    KIND: ClassVar[str] = "retraction"
    VERSION: ClassVar[int] = 1
    CARDINALITY: ClassVar[Cardinality] = "amendment"
    TITLE: ClassVar[str] = "Retraction"

    reason: str = Field(min_length=1, max_length=1000)

    def summary(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return translator(lang)("retraction.summary", reason=self.reason)
