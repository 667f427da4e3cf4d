"""The screens: each renders one view-model and forwards touches to it; no state of their own."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ObjectProperty
from kivy.uix.screenmanager import Screen

from tablet_app.i18n import _, format_number
from tablet_app.viewmodels.arrest_timer import ArrestTimerViewModel, format_elapsed
from tablet_app.viewmodels.lock import LockViewModel
from tablet_app.viewmodels.login import LoginViewModel
from tablet_app.viewmodels.vitals_pad import VitalsPadViewModel


class LoginScreen(Screen):  # type: ignore[misc]  # Kivy is untyped
    vm = ObjectProperty(None)
    busy = BooleanProperty(False)

    def attach(self, vm: LoginViewModel) -> None:
        self.vm = vm
        vm.subscribe(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        vm: LoginViewModel = self.vm
        self.busy = vm.busy
        self.ids.login_error.text = vm.form_error.render() if vm.form_error else ""
        for name in ("username", "password", "pin"):
            error = vm.field_errors.get(name)
            self.ids[f"login_{name}_error"].text = error.render() if error else ""
            # A field is never cleared behind the person's back: only the view-model's value is shown.
            if self.ids[f"login_{name}"].text != getattr(vm, name):
                self.ids[f"login_{name}"].text = getattr(vm, name)


class VitalsPadScreen(Screen):  # type: ignore[misc]
    vm = ObjectProperty(None)
    ARREST_REFRESH_S = 0.25

    def attach(self, vm: VitalsPadViewModel, *, offline_login: bool, arrest: ArrestTimerViewModel) -> None:
        self.vm = vm
        self._offline_login = offline_login
        self._arrest = arrest
        previous = getattr(self, "_arrest_clock", None)
        if previous is not None:
            previous.cancel()
        self._arrest_clock: Any = (
            Clock.schedule_interval(lambda _dt: self.refresh_arrest(), self.ARREST_REFRESH_S)
            if arrest.running
            else None
        )
        box = self.ids.vitals_fields
        box.clear_widgets()
        self._field_buttons: dict[str, Any] = {}
        for field_id in vm.entries:
            button = Factory.BigButton()
            button.control_id = f"field_{field_id}"  # the test driver finds dynamic widgets by this
            button.bind(on_release=lambda _b, f=field_id: vm.select(f))
            box.add_widget(button)
            self._field_buttons[field_id] = button
        vm.subscribe(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        vm: VitalsPadViewModel = self.vm
        if vm is None:
            return
        palette = App.get_running_app().theme.palette
        for field_id, button in self._field_buttons.items():
            entry = vm.entries[field_id]
            selected = field_id == vm.selected_id
            swatch = palette.primary if selected else palette.surface
            button.text = entry.spec.label.render()
            button.background_color = swatch.background
            button.color = swatch.text
        pad = self.ids.vitals_pad
        if pad.vm is not vm.current:
            pad.show(vm.current)
        else:
            pad.refresh()
        self.ids.vitals_offline_banner.text = _("session.offline_login") if self._offline_login else ""
        lines = []
        for item in reversed(vm.registered[-8:]):
            shown = (
                _("pad.not_measurable_value")
                if item.result.not_measurable
                else f"{format_number(item.result.value)} {item.spec.unit}"
                if item.result.value is not None
                else ""
            )
            flag = " " + _("vitals.confirmed_flag") if item.result.confirmed_implausible else ""
            lines.append(
                _(
                    "vitals.registered_line",
                    time=item.at.astimezone().strftime("%H:%M"),
                    label=item.spec.label,
                    value=shown,
                )
                + flag
            )
        self.ids.vitals_registered.text = "\n".join(lines) if lines else _("vitals.none_registered")
        self.refresh_arrest()

    def toggle_arrest(self) -> None:
        if self._arrest.running:
            self._arrest.stop()
            if self._arrest_clock is not None:
                self._arrest_clock.cancel()
                self._arrest_clock = None
        else:
            self._arrest.start()
            self._arrest_clock = Clock.schedule_interval(
                lambda _dt: self.refresh_arrest(), self.ARREST_REFRESH_S
            )
        self.refresh_arrest()

    def refresh_arrest(self) -> None:
        arrest = self._arrest
        self.ids.arrest_toggle.text = _("arrest.stop") if arrest.running else _("arrest.start")
        self.ids.arrest_elapsed.text = format_elapsed(arrest.elapsed_s()) if arrest.running else ""
        self.ids.arrest_cycle.text = (
            _(
                "arrest.cycle",
                cycle=arrest.cycle_number(),
                next=format_elapsed(arrest.seconds_to_next_cycle()),
            )
            if arrest.running
            else ""
        )
        self.ids.arrest_warning.text = (
            _("arrest.keep_awake_unavailable") if arrest.running and arrest.keep_awake_unavailable else ""
        )


class LockScreen(Screen):  # type: ignore[misc]
    vm = ObjectProperty(None)
    person_name = ObjectProperty("")

    def attach(self, vm: LockViewModel, *, person_name: str) -> None:
        self.vm = vm
        self.person_name = person_name
        vm.subscribe(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        vm: LockViewModel | None = self.vm
        if vm is None:
            return
        self.ids.lock_person.text = _("lock.person", name=self.person_name)
        self.ids.lock_pin.text = vm.masked_pin()
        self.ids.lock_message.text = vm.message.render() if vm.message else ""
