"""The vitals pad screen: pick a vital, type it on the large pad, see what was registered.

One ``NumericEntryViewModel`` per field, so switching fields keeps each half-typed value (and its
draft). Accepted values are listed with their offset-corrected time. In this wave the list is the
screen's own: wave 2 appends each accepted value as a vital-signs entry to the local store instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tablet_app.facades.clock import ClockFacade
from tablet_app.facades.haptics import HapticsFacade
from tablet_app.observable import Observable
from tablet_app.viewmodels.drafts import DraftStore
from tablet_app.viewmodels.numeric_entry import NumericEntryViewModel, NumericFieldSpec, NumericResult


@dataclass(frozen=True)
class RegisteredValue:
    result: NumericResult
    spec: NumericFieldSpec
    at: datetime


class VitalsPadViewModel(Observable):
    def __init__(
        self,
        *,
        fields: tuple[NumericFieldSpec, ...],
        drafts: DraftStore,
        clock: ClockFacade,
        haptics: HapticsFacade,
        draft_scope: str = "vitals-pad",
        on_value: Callable[[NumericResult], None] = lambda _result: None,
    ) -> None:
        super().__init__()
        if not fields:
            raise ValueError("the vitals pad needs at least one field")
        self._clock = clock
        self._haptics = haptics
        self._on_value = on_value
        self.entries = {
            spec.field_id: NumericEntryViewModel(
                spec=spec, drafts=drafts, draft_scope=draft_scope, on_accept=self._registered
            )
            for spec in fields
        }
        for entry in self.entries.values():
            entry.subscribe(self._changed)
        self.selected_id = fields[0].field_id
        self.registered: list[RegisteredValue] = []

    @property
    def current(self) -> NumericEntryViewModel:
        return self.entries[self.selected_id]

    def select(self, field_id: str) -> None:
        if field_id not in self.entries:
            raise ValueError(f"no such field on the vitals pad: {field_id!r}")
        if field_id != self.selected_id:
            self.selected_id = field_id
            self._changed()

    def _registered(self, result: NumericResult) -> None:
        spec = self.entries[result.field_id].spec
        self.registered.append(RegisteredValue(result, spec, self._clock.now()))
        self._on_value(result)
        self._haptics.vibrate()
