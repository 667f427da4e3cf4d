"""The large numeric pad: typing one measured value with gloves, refused or questioned on the spot.

Rules (each has a test):

* Digits, a decimal comma **or** point (both mean the same; the display uses the language's separator),
  backspace, and an explicit "clear". Input format limits (integer digits, decimals) refuse the key that
  would break them, with a message saying why; the entry stays as it was.
* A value that is meaningless (outside the field's meaningful range, e.g. SpO2 above 100 %) is refused
  with a plain message: at the key press when typing more can only make it worse (above the maximum),
  otherwise when the person presses OK. The entry is kept so it can be corrected.
* A value that is possible but implausible (e.g. pulse 260 /min) is not saved until the person confirms
  it; "correct it" goes back to editing with the value kept.
* "Not measurable" is an explicit toggle; while it is on, digits are refused (the typed value stays and
  reappears when it is switched off). The entry is **never cleared silently**: only ``clear()`` and a
  successful save empty it.
* Every change is written as a draft (``DraftStore``) and restored on construction, so a crash loses
  nothing typed; a save deletes the draft.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Protocol

from tablet_app.errors import ViewModelStateError
from tablet_app.i18n import Message, _, message
from tablet_app.observable import Observable
from tablet_app.viewmodels.drafts import DraftStore

DIGITS = frozenset("0123456789")
DECIMAL_KEYS = frozenset(",.")


class VerdictKind(Enum):
    ACCEPT = "accept"
    CONFIRM = "confirm"  # possible but implausible: ask first
    REFUSE_TOO_LOW = "refuse_too_low"  # meaningless; typing more digits could still fix it
    REFUSE_TOO_HIGH = "refuse_too_high"  # meaningless; typing more digits only makes it worse


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    message: Message | None = None

    @property
    def refused(self) -> bool:
        return self.kind in (VerdictKind.REFUSE_TOO_LOW, VerdictKind.REFUSE_TOO_HIGH)


class ValueCheck(Protocol):
    def __call__(self, value: Decimal, spec: NumericFieldSpec) -> Verdict:
        """Judge one typed value of the field ``spec``."""


@dataclass(frozen=True)
class RangeCheck:
    """Meaningful limits (outside: refused) and plausible limits (outside: confirm); None = no limit."""

    meaningful_min: Decimal
    meaningful_max: Decimal
    plausible_min: Decimal | None = None
    plausible_max: Decimal | None = None

    def __post_init__(self) -> None:
        lo = self.plausible_min if self.plausible_min is not None else self.meaningful_min
        hi = self.plausible_max if self.plausible_max is not None else self.meaningful_max
        if not self.meaningful_min <= lo <= hi <= self.meaningful_max:
            raise ValueError(
                "limits must nest: meaningful_min <= plausible_min <= plausible_max <= meaningful_max"
            )

    def __call__(self, value: Decimal, spec: NumericFieldSpec) -> Verdict:
        params = {"label": spec.label, "value": value, "unit": spec.unit}
        if value > self.meaningful_max:
            return Verdict(
                VerdictKind.REFUSE_TOO_HIGH,
                message("pad.refuse.above_max", limit=self.meaningful_max, **params),
            )
        if value < self.meaningful_min:
            return Verdict(
                VerdictKind.REFUSE_TOO_LOW,
                message("pad.refuse.below_min", limit=self.meaningful_min, **params),
            )
        if (self.plausible_min is not None and value < self.plausible_min) or (
            self.plausible_max is not None and value > self.plausible_max
        ):
            return Verdict(VerdictKind.CONFIRM, message("pad.confirm.implausible", **params))
        return Verdict(VerdictKind.ACCEPT)


@dataclass(frozen=True)
class NumericFieldSpec:
    """One numeric field: its id (the journal's field name), label, unit, input format and check."""

    field_id: str
    label: Message
    unit: str  # UCUM-like unit shown as is, e.g. "/min", "mmHg", "%", "°C", "mmol/L"
    integer_digits: int
    decimals: int
    check: ValueCheck


class EntryStatus(Enum):
    EDITING = "editing"
    REFUSED = "refused"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    ACCEPTED = "accepted"


@dataclass(frozen=True)
class NumericResult:
    """What the pad hands over on save: a value (maybe confirmed as implausible) or "not measurable"."""

    field_id: str
    value: Decimal | None
    not_measurable: bool
    confirmed_implausible: bool


class NumericEntryViewModel(Observable):
    def __init__(
        self,
        *,
        spec: NumericFieldSpec,
        drafts: DraftStore,
        draft_scope: str,
        on_accept: Callable[[NumericResult], None],
    ) -> None:
        super().__init__()
        self.spec = spec
        self._drafts = drafts
        self._draft_id = f"numeric:{draft_scope}:{spec.field_id}"
        self._on_accept = on_accept
        self._entry = ""  # canonical: digits and at most one "."
        self._not_measurable = False
        self.status = EntryStatus.EDITING
        self.message: Message | None = None
        self._restore_draft()

    # --- state the screen renders -------------------------------------------------------------
    @property
    def entry(self) -> str:
        """The typed value, canonical (decimal point)."""
        return self._entry

    @property
    def not_measurable(self) -> bool:
        return self._not_measurable

    def display_text(self) -> str:
        """The entry as the current language writes it (decimal comma in Danish)."""
        return self._entry.replace(".", _("format.decimal_separator"))

    # --- keys ------------------------------------------------------------------------------------
    def press(self, key: str) -> None:
        """One key from the pad or a keyboard: a digit, "," or "."."""
        if key in DIGITS:
            self._type_digit(key)
        elif key in DECIMAL_KEYS:
            self._type_decimal()
        else:
            raise ValueError(f"not a pad key: {key!r}")

    def type_text(self, text: str) -> None:
        """Several keys in a row (a hardware keyboard or paste); stops at the first refused key."""
        for key in text:
            self.press(key)
            if self.status is EntryStatus.REFUSED:  # a key that is taken always leaves EDITING
                break

    def backspace(self) -> None:
        if self._refuse_while_not_measurable():
            return
        if self._entry:
            self._set_entry(self._entry[:-1])

    def clear(self) -> None:
        """The person's explicit "clear" key: the only way, besides saving, to empty the entry."""
        self._not_measurable = False
        self._set_entry("")

    def toggle_not_measurable(self) -> None:
        self._not_measurable = not self._not_measurable
        self._edit_state(None)
        self._save_draft()
        self._changed()

    # --- decisions -------------------------------------------------------------------------------
    def submit(self) -> None:
        """The OK key: save, refuse with a reason, or ask for confirmation."""
        if self._not_measurable:
            self._accept(NumericResult(self.spec.field_id, None, True, False))
            return
        value = self._value()
        if value is None:
            self._refuse(message("pad.refuse.empty", label=self.spec.label))
            return
        verdict = self.spec.check(value, self.spec)
        if verdict.refused:
            self._refuse(verdict.message)
        elif verdict.kind is VerdictKind.CONFIRM:
            self.status = EntryStatus.AWAITING_CONFIRMATION
            self.message = verdict.message
            self._changed()
        else:
            self._accept(NumericResult(self.spec.field_id, value, False, False))

    def confirm(self) -> None:
        """The person confirms an implausible value: it is saved, marked as confirmed."""
        if self.status is not EntryStatus.AWAITING_CONFIRMATION:
            raise ViewModelStateError(f"nothing awaits confirmation (status {self.status.value})")
        value = self._value()
        assert value is not None  # AWAITING_CONFIRMATION is only reached with a parsed value
        self._accept(NumericResult(self.spec.field_id, value, False, True))

    def revise(self) -> None:
        """The person chooses to correct an implausible value: back to editing, value kept."""
        if self.status is not EntryStatus.AWAITING_CONFIRMATION:
            raise ViewModelStateError(f"nothing awaits confirmation (status {self.status.value})")
        self._edit_state(None)
        self._changed()

    # --- internals -------------------------------------------------------------------------------
    def _type_digit(self, digit: str) -> None:
        if self._refuse_while_not_measurable():
            return
        whole, _sep, fraction = self._entry.partition(".")
        if "." in self._entry:
            if len(fraction) >= self.spec.decimals:
                self._refuse(message("pad.refuse.too_many_decimals", count=self.spec.decimals))
                return
            candidate = self._entry + digit
        elif whole == "0":
            candidate = digit  # a leading zero is replaced, as on a calculator
        else:
            if len(whole) >= self.spec.integer_digits:
                self._refuse(message("pad.refuse.too_many_digits", count=self.spec.integer_digits))
                return
            candidate = self._entry + digit
        verdict = self.spec.check(Decimal(candidate), self.spec)
        if verdict.kind is VerdictKind.REFUSE_TOO_HIGH:
            self._refuse(verdict.message)  # more digits can only make it larger: refuse now
            return
        self._set_entry(candidate)

    def _type_decimal(self) -> None:
        if self._refuse_while_not_measurable():
            return
        if self.spec.decimals == 0:
            self._refuse(message("pad.refuse.whole_numbers_only", label=self.spec.label))
        elif "." not in self._entry:
            self._set_entry((self._entry or "0") + ".")

    def _refuse_while_not_measurable(self) -> bool:
        if self._not_measurable:
            self._refuse(message("pad.refuse.not_measurable_on"))
        return self._not_measurable

    def _value(self) -> Decimal | None:
        if not self._entry.strip("."):
            return None
        try:
            return Decimal(self._entry)
        except InvalidOperation:  # the key rules make this unreachable; keep the error explicit
            raise ViewModelStateError(f"entry {self._entry!r} is not a number") from None

    def _set_entry(self, entry: str) -> None:
        self._entry = entry
        self._edit_state(None)
        self._save_draft()
        self._changed()

    def _edit_state(self, note: Message | None) -> None:
        self.status = EntryStatus.EDITING
        self.message = note

    def _refuse(self, reason: Message | None) -> None:
        self.status = EntryStatus.REFUSED
        self.message = reason
        self._changed()

    def _accept(self, result: NumericResult) -> None:
        self._on_accept(result)
        self._drafts.delete(self._draft_id)
        shown = (
            message("pad.accepted_not_measurable", label=self.spec.label)
            if result.not_measurable
            else message("pad.accepted", label=self.spec.label, value=result.value, unit=self.spec.unit)
        )
        self._entry = ""
        self._not_measurable = False
        self.status = EntryStatus.ACCEPTED
        self.message = shown
        self._changed()

    def _save_draft(self) -> None:
        if self._entry or self._not_measurable:
            body = json.dumps({"entry": self._entry, "not_measurable": self._not_measurable})
            self._drafts.put(self._draft_id, body)
        else:
            self._drafts.delete(self._draft_id)

    def _restore_draft(self) -> None:
        body = self._drafts.get(self._draft_id)
        if body is None:
            return
        data = json.loads(body)
        self._entry = str(data.get("entry", ""))
        self._not_measurable = bool(data.get("not_measurable", False))
        self.message = message("pad.draft_restored")
