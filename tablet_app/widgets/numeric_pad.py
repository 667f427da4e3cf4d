"""The large numeric pad widget: renders a ``NumericEntryViewModel`` and forwards key presses to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.properties import BooleanProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout

from tablet_app.i18n import _
from tablet_app.viewmodels.numeric_entry import EntryStatus, NumericEntryViewModel


class NumericPad(BoxLayout):  # type: ignore[misc]  # Kivy is untyped
    vm = ObjectProperty(None, allownone=True)
    confirming = BooleanProperty(False)
    not_measurable = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._unsubscribe: Callable[[], None] | None = None

    def show(self, vm: NumericEntryViewModel) -> None:
        """Render ``vm`` from now on (the previous view-model is let go)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.vm = vm
        self._unsubscribe = vm.subscribe(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        vm: NumericEntryViewModel | None = self.vm
        if vm is None:
            return
        palette = App.get_running_app().theme.palette
        self.ids.pad_label.text = vm.spec.label.render()
        self.ids.pad_unit.text = vm.spec.unit
        self.ids.pad_display.text = _("pad.not_measurable_value") if vm.not_measurable else vm.display_text()
        self.ids.pad_message.text = vm.message.render() if vm.message is not None else ""
        self.ids.pad_message.swatch = {
            EntryStatus.REFUSED: palette.danger,
            EntryStatus.AWAITING_CONFIRMATION: palette.warning,
        }.get(vm.status, palette.info)
        self.confirming = vm.status is EntryStatus.AWAITING_CONFIRMATION
        self.not_measurable = vm.not_measurable
