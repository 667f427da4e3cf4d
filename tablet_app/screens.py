"""The screens: each renders one view-model and forwards touches to it; no state of their own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ObjectProperty
from kivy.uix.screenmanager import Screen

from journal.kinds.mission import TimestampEvent
from journal.scores.vocabulary import UiColour
from tablet_app.i18n import _, format_number, language
from tablet_app.theme import RiskBand
from tablet_app.viewmodels.arrest_timer import ArrestTimerViewModel, format_elapsed
from tablet_app.viewmodels.crew import CrewViewModel
from tablet_app.viewmodels.journal_list import JournalListViewModel
from tablet_app.viewmodels.lock import LockViewModel
from tablet_app.viewmodels.login import LoginViewModel
from tablet_app.viewmodels.medication import BASES, DOSE_UNITS, FAVOURITES, ROUTES, MedicationViewModel
from tablet_app.viewmodels.patient_journal import TIMELINE_BUTTONS, JournalViewModel
from tablet_app.viewmodels.vital_fields import VITAL_FIELDS_BY_ID
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

    def attach(
        self,
        vm: VitalsPadViewModel,
        *,
        offline_login: bool,
        arrest: ArrestTimerViewModel,
        journal: JournalViewModel,
    ) -> None:
        self.vm = vm
        self._journal = journal
        journal.subscribe(self.refresh)
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
        for item in reversed(vm.registered[-4:]):
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
        journal = self._journal
        oxygen = {
            None: _("vitals.oxygen_unsaid"),
            False: _("vitals.on_air"),
            True: _("vitals.on_oxygen"),
        }
        self.ids.vitals_oxygen.text = oxygen[journal.pending_on_oxygen]
        self.ids.vitals_set_status.text = _(
            "vitals.set_status", count=len(journal.pending_vitals), saved=len(journal.vital_sets())
        )
        self.refresh_arrest()

    def save_set(self) -> None:
        self._journal.save_vital_set()

    def cycle_oxygen(self) -> None:
        following = {None: False, False: True, True: None}
        self._journal.set_on_oxygen(following[self._journal.pending_on_oxygen])

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


_BAND_OF_COLOUR = {
    UiColour.GREEN: RiskBand.LOW,
    UiColour.YELLOW: RiskBand.LOW_MEDIUM,
    UiColour.ORANGE: RiskBand.MEDIUM,
    UiColour.RED: RiskBand.HIGH,
}


def _clock_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


class JournalsScreen(Screen):  # type: ignore[misc]
    """The unit's journals and sync state; new patient; crew sign-on."""

    vm = ObjectProperty(None)

    def attach(self, vm: JournalListViewModel, *, crew: CrewViewModel, offline_login: bool) -> None:
        self.vm = vm
        self._crew = crew
        self._offline_login = offline_login
        vm.subscribe(self.refresh)
        crew.subscribe(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        vm: JournalListViewModel | None = self.vm
        if vm is None:
            return
        app = App.get_running_app()
        self.ids.journals_title.text = _("journals.title", unit=self._crew.unit)
        self.ids.journals_crew.text = _(
            "journals.crew", names=", ".join(p.display_name for p in self._crew.members)
        )
        self.ids.journals_sync.text = vm.sync_text().render()
        self.ids.journals_offline_banner.text = _("session.offline_login") if self._offline_login else ""
        box = self.ids.journals_list
        box.clear_widgets()
        for index, row in enumerate(vm.rows()):
            button = Factory.BigButton()
            button.control_id = f"journal_{index}"
            contact = _clock_time(row.contact_at) if row.contact_at else "–"
            button.text = _("journals.row", patient=row.patient, contact=contact)
            button.size_hint_y = None
            button.height = dp(app.theme.sizes.touch_target)
            button.bind(on_release=lambda _b, j=row.journal_id: app.open_journal(j))
            box.add_widget(button)


class JournalScreen(Screen):  # type: ignore[misc]
    """One patient: identity, timeline taps, NEWS2 and trend, author switch."""

    vm = ObjectProperty(None)

    def attach(self, vm: JournalViewModel, *, crew: CrewViewModel) -> None:
        previous = getattr(self, "_unsubscribe", ())
        for unsubscribe in previous:
            unsubscribe()
        self.vm = vm
        self._crew = crew
        self._unsubscribe = (vm.subscribe(self.refresh),)
        self.ids.journal_cpr.text = ""
        marks = self.ids.journal_marks
        marks.clear_widgets()
        self._mark_buttons: dict[TimestampEvent, Any] = {}
        for event in TIMELINE_BUTTONS:
            button = Factory.BigButton()
            button.control_id = f"mark_{event}"
            button.bind(on_release=lambda _b, e=event: vm.tap(e))
            marks.add_widget(button)
            self._mark_buttons[event] = button
        authors = self.ids.journal_authors
        authors.clear_widgets()
        for person in crew.members:
            button = Factory.BigButton()
            button.control_id = f"author_{person.username}"
            button.text = person.display_name
            button.bind(on_release=lambda _b, u=person.username: self.switch_author(u))
            authors.add_widget(button)
        self.refresh()

    def switch_author(self, username: str) -> None:
        pin = self.ids.journal_author_pin.text
        self.ids.journal_author_pin.text = ""  # a PIN never stays on screen
        self._crew.switch_to(username, pin)
        self.refresh()

    def identify(self) -> None:
        if self.vm.identify_by_cpr(self.ids.journal_cpr.text):
            self.ids.journal_cpr.text = ""

    def refresh(self) -> None:
        vm: JournalViewModel | None = self.vm
        if vm is None:
            return
        palette = App.get_running_app().theme.palette
        self.ids.journal_identity.text = vm.identity_text().render()
        self.ids.journal_author.text = _("journal.author", name=self._crew.active_person().display_name)
        switch_error = self._crew.switch_error
        self.ids.journal_author_error.text = switch_error.render() if switch_error else ""
        self.ids.journal_cpr_error.text = vm.cpr_error.render() if vm.cpr_error else ""
        self.ids.journal_saved.text = vm.last_saved.render() if vm.last_saved else ""
        for event, button in self._mark_buttons.items():
            at = vm.mark_time(event)
            label = TIMELINE_BUTTONS[event].render()
            button.text = f"{label}\n{_clock_time(at)}" if at else label
            swatch = palette.primary if at else palette.surface
            button.background_color, button.color = swatch.background, swatch.text
        news2 = vm.news2()
        band = _BAND_OF_COLOUR.get(news2.colour)
        swatch = palette.risk[band] if band is not None else palette.surface
        self.ids.journal_news2.text = news2.display
        self.ids.journal_news2.swatch = swatch
        trend = []
        for field_id in ("heart_rate", "respiratory_rate", "spo2", "bp_systolic"):
            values = vm.trend(field_id)
            if any(v is not None for v in values):
                shown = " · ".join("–" if v is None else format_number(v) for v in values)
                trend.append(f"{VITAL_FIELDS_BY_ID[field_id].label.render()}: {shown}")
        self.ids.journal_trend.text = "\n".join(trend) if trend else _("vitals.none_registered")
        lines = [
            f"{_clock_time(line.time)}{' ~' if line.estimated else ''}  {line.text} · {line.author}"
            for line in vm.timeline()
        ]
        self.ids.journal_timeline.text = "\n".join(reversed(lines))  # newest first


class HandoverScreen(Screen):  # type: ignore[misc]
    """ISBAR handover text from the journal, the signing checklist, and signing."""

    vm = ObjectProperty(None)

    def attach(self, vm: JournalViewModel) -> None:
        self.vm = vm
        self.refresh()

    def sign(self) -> None:
        self.vm.sign()
        self.refresh()

    def refresh(self) -> None:
        vm: JournalViewModel | None = self.vm
        if vm is None:
            return
        self.ids.handover_text.text = vm.handover_text()
        missing = vm.missing_for_signing()
        self.ids.handover_missing.text = (
            "\n".join(f"• {m}" for m in missing) if missing else _("handover.complete")
        )
        self.ids.handover_saved.text = vm.last_saved.render() if vm.last_saved else ""


class MedicationScreen(Screen):  # type: ignore[misc]
    """Favourites, dose, unit, route and legal basis; saved into the open journal."""

    vm = ObjectProperty(None)

    def attach(self, vm: MedicationViewModel) -> None:
        self.vm = vm
        vm.subscribe(self.refresh)
        for box_id, prefix, values, on_tap in (
            ("med_favourites", "med", [f.atc for f in FAVOURITES], vm.choose),
            ("med_units", "med_unit", list(DOSE_UNITS), lambda v: vm.set("unit", v)),
            ("med_routes", "med_route", list(ROUTES), lambda v: vm.set("route", v)),
            ("med_bases", "basis", list(BASES), lambda v: vm.set("basis", v)),
        ):
            box = self.ids[box_id]
            box.clear_widgets()
            for value in values:
                button = Factory.BigButton()
                button.control_id = f"{prefix}_{value}"
                button.value = value
                button.bind(on_release=lambda _b, v=value, tap=on_tap: tap(v))
                box.add_widget(button)
        self.refresh()

    def submit(self) -> None:
        vm: MedicationViewModel = self.vm
        for name in ("dose", "protocol_id", "protocol_version", "physician"):
            vm.set(name, self.ids[f"med_{name}"].text)
        if vm.submit():
            for name in ("dose", "protocol_id", "protocol_version", "physician"):
                self.ids[f"med_{name}"].text = ""

    def refresh(self) -> None:
        vm: MedicationViewModel | None = self.vm
        if vm is None:
            return
        palette = App.get_running_app().theme.palette
        names = {f.atc: f.name for f in FAVOURITES}
        basis_labels = {
            "standing_protocol": _("basis.standing_protocol"),
            "concrete_delegation": _("basis.concrete_delegation"),
            "physician_own_authorisation": _("basis.physician_own_authorisation"),
            "given_before_arrival": _("basis.given_before_arrival"),
            "patient_own_medication": _("basis.patient_own_medication"),
        }
        chosen = {
            "med_favourites": vm.favourite.atc if vm.favourite else None,
            "med_units": vm.unit,
            "med_routes": vm.route,
            "med_bases": vm.basis,
        }
        for box_id, selected in chosen.items():
            for button in self.ids[box_id].children:
                value = button.value
                button.text = names.get(value) or basis_labels.get(value) or value
                swatch = palette.primary if value == selected else palette.surface
                button.background_color, button.color = swatch.background, swatch.text
        self.ids.med_error.text = "\n".join(m.render() for m in vm.errors.values())
        self.ids.med_saved.text = (
            _("med.saved", summary=vm.saved.summary(language.current)) if vm.saved else ""
        )
