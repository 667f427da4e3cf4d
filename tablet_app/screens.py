"""The screens: each renders one view-model and forwards touches to it; no state of their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ObjectProperty
from kivy.uix.screenmanager import Screen
from kivy.utils import escape_markup

from journal.kinds.mission import TimestampEvent
from journal.local_time import clock
from journal.scores.vocabulary import UiColour
from tablet_app.i18n import _, format_number, language, message
from tablet_app.theme import RiskBand
from tablet_app.viewmodels.arrest_timer import ArrestTimerViewModel, format_elapsed
from tablet_app.viewmodels.assessment import (
    ALLERGEN_PICKS,
    ALLERGY_STATUS_LABELS,
    CATEGORIES,
    CATEGORY_LABELS,
    FINDING_LABELS,
    LETTER_LABELS,
    LETTERS,
    PASS_ITEMS,
    PROCEDURE_OUTCOME_LABELS,
    AbcdeViewModel,
    ComplaintHistoryViewModel,
    ProcedureViewModel,
    StrokeScaleViewModel,
)
from tablet_app.viewmodels.crew import CrewViewModel
from tablet_app.viewmodels.enrolment import EnrolmentViewModel
from tablet_app.viewmodels.episode import (
    ALERT_LABELS,
    CONSENT_LABELS,
    URGENCY_LABELS,
    DestinationViewModel,
    DispositionViewModel,
    NotesViewModel,
    SamePatientViewModel,
    TransportUrgencyViewModel,
)
from tablet_app.viewmodels.gcs import CHOICES, GcsChoice, GcsEntryViewModel
from tablet_app.viewmodels.journal_list import OUTCOME_LABELS, JournalListViewModel, JournalRow
from tablet_app.viewmodels.lock import LockViewModel
from tablet_app.viewmodels.login import LoginViewModel
from tablet_app.viewmodels.medication import BASES, DOSE_UNITS, FAVOURITES, ROUTES, MedicationViewModel
from tablet_app.viewmodels.patient_journal import TIMELINE_BUTTONS, JournalViewModel
from tablet_app.viewmodels.review import HISTORY_SHOWN, EntryLine, ReviewViewModel, TimeEditViewModel
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


class EnrolScreen(Screen):  # type: ignore[misc]
    """The one-time enrolment code, when the tablet has no device credential yet."""

    vm = ObjectProperty(None)
    busy = BooleanProperty(False)

    def attach(self, vm: EnrolmentViewModel) -> None:
        self.vm = vm
        vm.subscribe(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        vm: EnrolmentViewModel = self.vm
        self.busy = vm.busy
        self.ids.enrol_error.text = vm.error.render() if vm.error else ""
        if self.ids.enrol_code.text != vm.code:
            self.ids.enrol_code.text = vm.code


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
                    time=_clock_time(item.at),
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
    """HH:MM in Danish time, as the journal's texts and the time picker read and type it."""
    return clock(moment)


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
        height = dp(app.theme.sizes.touch_target)
        index = 0

        def label(text: str) -> None:
            widget = Factory.TextLabel(text=text)
            box.add_widget(widget)

        def patient_button(row: JournalRow) -> None:
            nonlocal index
            button = Factory.BigButton(size_hint_y=None, height=height)
            button.control_id = f"journal_{index}"
            index += 1
            contact = _clock_time(row.contact_at) if row.contact_at else "–"
            text = (
                _("journals.row_outcome", patient=row.patient, contact=contact, outcome=row.outcome)
                if row.outcome
                else _("journals.row", patient=row.patient, contact=contact)
            )
            if row.same_patient_as:
                text += " · " + _("journals.row_same_patient", count=len(row.same_patient_as))
            button.text = text
            button.bind(on_release=lambda _b, j=row.journal_id: app.open_journal(j))
            box.add_widget(button)

        missions = vm.missions()
        if not missions:
            label(_("missions.none"))
        for number, mission in enumerate(missions):
            title = Factory.Banner(text=f"{mission.title().render()}\n{mission.detail().render()}")
            title.swatch = app.theme.palette.danger if mission.cancelled else app.theme.palette.info
            box.add_widget(title)
            for row in mission.patients:
                patient_button(row)
            if not mission.cancelled:
                new = Factory.PrimaryButton(size_hint_y=None, height=height)
                new.control_id = f"mission_new_patient_{number}"
                new.text = _("missions.new_patient", reference=mission.reference)
                new.bind(on_release=lambda _b, m=mission.assignment: app.new_journal(m))
                box.add_widget(new)
        unassigned = vm.unassigned()
        if unassigned:
            label(_("missions.unassigned"))
        for row in unassigned:
            patient_button(row)


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
        self._mark_buttons = _mark_buttons(self.ids.journal_marks, "mark", vm.tap)
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
        self.ids.journal_news2_why.text = " · ".join(m.render() for m in news2.triggers)
        toks = vm.toks()
        band = _BAND_OF_COLOUR.get(toks.colour)
        self.ids.journal_toks.text = toks.display
        self.ids.journal_toks.swatch = palette.risk[band] if band is not None else palette.surface
        self.ids.journal_toks_why.text = " · ".join(m.render() for m in toks.triggers)
        self.ids.journal_gcs_open.text = vm.gcs().render()  # the current GCS; a tap opens GCS entry
        self.ids.journal_review.text = _("journal.review", conflicts=len(vm.state.conflicts))
        trend = []
        for field_id in ("heart_rate", "respiratory_rate", "spo2", "bp_systolic"):
            values = vm.trend(field_id)
            if any(v is not None for v in values):
                shown = " · ".join("–" if v is None else format_number(v) for v in values)
                trend.append(f"{VITAL_FIELDS_BY_ID[field_id].label.render()}: {shown}")
        self.ids.journal_trend.text = "\n".join(trend) if trend else _("vitals.none_registered")
        recent, older = vm.recent_timeline()
        lines = [
            f"{_clock_time(line.time)}{' ~' if line.estimated else ''}  {line.text} · {line.author}"
            for line in recent  # newest first
        ]
        if older:
            lines.append(_("journal.timeline_older", count=older))
        self.ids.journal_timeline.text = "\n".join(lines)


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


def _mark_buttons(
    box: Any, prefix: str, on_tap: Callable[[TimestampEvent], None]
) -> dict[TimestampEvent, Any]:
    """One button per timeline mark in ``box`` (episode order), each calling ``on_tap`` with its mark."""
    box.clear_widgets()
    buttons: dict[TimestampEvent, Any] = {}
    for event in TIMELINE_BUTTONS:
        button = Factory.BigButton()
        button.control_id = f"{prefix}_{event}"  # the test driver finds dynamic widgets by this
        button.bind(on_release=lambda _b, e=event: on_tap(e))
        box.add_widget(button)
        buttons[event] = button
    return buttons


def _observe(screen: Any, vm: Any) -> None:
    """Show ``vm`` on ``screen``: refresh on its changes, no longer on the previous view-model's."""
    previous = getattr(screen, "_unsubscribe", None)
    if previous is not None:
        previous()
    screen.vm = vm
    screen._unsubscribe = vm.subscribe(screen.refresh)


class GcsScreen(Screen):  # type: ignore[misc]
    """GCS picked per component from the published descriptors; the preview is the journal's own."""

    vm = ObjectProperty(None)

    def attach(self, vm: GcsEntryViewModel) -> None:
        _observe(self, vm)
        self._choice_buttons: list[tuple[GcsChoice, Any]] = []
        for component, choices in CHOICES.items():
            box = self.ids[f"gcs_{component}"]
            box.clear_widgets()
            for choice in choices:
                button = Factory.BigButton()
                button.control_id = f"gcs_{component}_{choice.value}"
                button.bind(on_release=lambda _b, c=choice: vm.pick(c.component, c.value))
                box.add_widget(button)
                self._choice_buttons.append((choice, button))
        self.refresh()

    def save(self) -> None:
        if self.vm.save():
            App.get_running_app().show("journal")

    def refresh(self) -> None:
        vm: GcsEntryViewModel | None = self.vm
        if vm is None:
            return
        palette = App.get_running_app().theme.palette
        for choice, button in self._choice_buttons:
            button.text = choice.label.render()
            swatch = palette.primary if vm.picks.get(choice.component) == choice.value else palette.surface
            button.background_color, button.color = swatch.background, swatch.text
        self.ids.gcs_preview.text = vm.preview().render()
        self.ids.gcs_error.text = vm.error.render() if vm.error else ""
        self.ids.gcs_sedated.text = _("gcs.sedated_on") if vm.sedated else _("gcs.sedated")


def _entry_text(line: EntryLine) -> str:
    return _(
        "review.entry",
        at=_clock_time(line.at),
        estimated=" ~" if line.estimated else "",
        text=line.text,
        author=line.author,
    )


class ReviewScreen(Screen):  # type: ignore[misc]
    """Conflicts side by side (keep one), entries to retract with a reason, the struck history."""

    vm = ObjectProperty(None)

    def attach(self, vm: ReviewViewModel) -> None:
        _observe(self, vm)
        self.ids.review_reason.text = ""
        self.refresh()

    def retract(self) -> None:
        vm: ReviewViewModel = self.vm
        if vm.selected is not None and vm.retract(vm.selected, self.ids.review_reason.text):
            self.ids.review_reason.text = ""  # emptied only once the retraction is stored

    def refresh(self) -> None:
        vm: ReviewViewModel | None = self.vm
        if vm is None:
            return
        app = App.get_running_app()
        touch = dp(app.theme.sizes.touch_target)
        conflicts = self.ids.review_conflicts
        conflicts.clear_widgets()
        for i, conflict in enumerate(vm.conflicts()):
            title = Factory.TextLabel()
            title.text = _("review.conflict_title", what=conflict.kind, count=len(conflict.values))
            conflicts.add_widget(title)
            for j, value in enumerate(conflict.values):
                button = Factory.BigButton()
                button.control_id = f"conflict_{i}_{j}"
                button.size_hint_y = None
                button.height = touch * 1.4
                button.text = _(
                    "review.keep",
                    text=value.text,
                    author=value.author,
                    role=value.role,
                    at=_clock_time(value.at),
                    device=value.device,
                )
                button.bind(on_release=lambda _b, k=conflict.key, e=value.entry_id: vm.resolve(k, e))
                conflicts.add_widget(button)
        if not conflicts.children:
            none = Factory.TextLabel()
            none.text = _("review.no_conflicts")
            conflicts.add_widget(none)
        entries = self.ids.review_entries
        entries.clear_widgets()
        palette = app.theme.palette
        selected_text = None
        page, newer, older = vm.amendable_page()
        self.ids.review_newer.disabled = not newer
        self.ids.review_older.disabled = not older
        for i, line in enumerate(page):
            button = Factory.BigButton()
            button.control_id = f"entry_{i}"
            button.size_hint_y = None
            button.height = touch
            button.text = _entry_text(line)
            chosen = line.entry_id == vm.selected
            if chosen:
                selected_text = line.text
            swatch = palette.primary if chosen else palette.surface
            button.background_color, button.color = swatch.background, swatch.text
            button.bind(on_release=lambda _b, e=line.entry_id: vm.select(e))
            entries.add_widget(button)
        self.ids.review_selected.text = (
            _("review.selected", text=selected_text) if selected_text else _("review.none_selected")
        )
        self.ids.review_error.text = vm.error.render() if vm.error else ""
        saved = vm.journal.last_saved
        self.ids.review_saved.text = saved.render() if saved else ""
        how = {"correction": _("review.how.correction"), "retraction": _("review.how.retraction")}
        history = vm.history()
        lines = [
            _(
                "review.struck",
                at=_clock_time(line.original.at),
                text=escape_markup(line.original.text),
                author=escape_markup(line.original.author),
                how=how.get(by.kind) or _("review.how.new_value"),
                by=escape_markup(by.author),
                role=by.role,
                when=_clock_time(by.written_at),
                why=escape_markup(why) if why else _("review.why_none"),
            )
            for line in history[:HISTORY_SHOWN]
            for by, why in zip(line.struck_by, line.reasons, strict=True)
        ]
        if len(history) > HISTORY_SHOWN:
            lines.append(_("review.history_more", count=len(history) - HISTORY_SHOWN))
        self.ids.review_history.text = "\n".join(lines) if lines else _("review.no_history")


class TimeEditScreen(Screen):  # type: ignore[misc]
    """A timeline mark's time set afterwards: ±1/±5 min, typed HH:MM, estimated, reason."""

    vm = ObjectProperty(None)

    def attach(self, vm: TimeEditViewModel) -> None:
        _observe(self, vm)
        self._event_buttons = _mark_buttons(self.ids.time_events, "time_event", vm.choose)
        self.ids.time_reason.text = ""
        self.refresh()

    def on_pre_enter(self, *_args: Any) -> None:
        # Each visit starts from the mark's time as stored now (it may have been tapped meanwhile).
        if self.vm is not None:
            self.vm.choose(self.vm.event)

    def set_typed(self) -> None:
        self.vm.type_time(self.ids.time_typed.text)

    def fill_reason(self, msg_id: str) -> None:
        self.ids.time_reason.text = _(msg_id)

    def save(self) -> None:
        if self.vm.save(self.ids.time_reason.text):
            self.ids.time_reason.text = ""  # emptied only once the time is stored
            self.ids.time_typed.text = ""

    def refresh(self) -> None:
        vm: TimeEditViewModel | None = self.vm
        if vm is None:
            return
        palette = App.get_running_app().theme.palette
        for event, button in self._event_buttons.items():
            button.text = TIMELINE_BUTTONS[event].render()
            swatch = palette.primary if event == vm.event else palette.surface
            button.background_color, button.color = swatch.background, swatch.text
        self.ids.time_title.text = _("time.title", mark=vm.label)
        self.ids.time_recorded.text = (
            _("time.recorded", time=_clock_time(vm.recorded)) if vm.recorded else _("time.not_recorded")
        )
        self.ids.time_value.text = vm.shown()
        self.ids.time_estimated.text = _("time.estimated_on") if vm.estimated else _("time.estimated_off")
        self.ids.time_error.text = vm.error.render() if vm.error else ""


@dataclass(frozen=True)
class EpisodeViewModels:
    """The view-models of one journal's transport and disposition screens."""

    journal: JournalViewModel
    destination: DestinationViewModel
    urgency: TransportUrgencyViewModel
    disposition: DispositionViewModel
    notes: NotesViewModel
    same_patient: SamePatientViewModel


class EpisodeScreen(Screen):  # type: ignore[misc]
    """What the transport and disposition screens share: both render the same ``EpisodeViewModels`` and
    each shows the widgets its kv rule has (``_FIELDS``, ``_CHOICES``)."""

    vm = ObjectProperty(None)
    confirming = BooleanProperty(False)
    _FIELDS: tuple[tuple[str, str, str], ...] = ()  # (widget id, view-model, attribute)
    _CHOICES: tuple[str, ...] = ()  # ids of the choice grids on this screen

    def attach(self, vms: EpisodeViewModels) -> None:
        for unsubscribe in getattr(self, "_unsubscribe", ()):
            unsubscribe()
        self.vm = vms
        self._unsubscribe = tuple(
            model.subscribe(self.refresh)
            for model in (vms.destination, vms.urgency, vms.disposition, vms.notes, vms.same_patient)
        )
        dest = vms.destination
        choices: dict[str, tuple[str, list[tuple[str, Any]], Any]] = {
            "dest_receivers": (
                "dest_receiver",
                [(str(i), i) for i in range(len(dest.receivers))],
                dest.choose_receiver,
            ),
            "dest_alerts": ("alert", [("none", None)] + [(a, a) for a in ALERT_LABELS], dest.choose_alert),
            "episode_urgency": ("urgency", [(lv, lv) for lv in URGENCY_LABELS], vms.urgency.choose),
            "episode_outcomes": ("outcome", [(o, o) for o in OUTCOME_LABELS], vms.disposition.choose),
            "episode_consent": (
                "consent",
                [("yes", True), ("no", False), ("unasked", None)],
                vms.disposition.choose_consent,
            ),
        }
        for box_id in self._CHOICES:
            prefix, values, on_tap = choices[box_id]
            box = self.ids[box_id]
            box.clear_widgets()
            for name, value in values:
                button = Factory.BigButton()
                button.control_id = f"{prefix}_{name}"
                button.value = value
                button.bind(on_release=lambda _b, v=value, tap=on_tap: tap(v))
                box.add_widget(button)
        self.refresh()

    def refresh(self) -> None:
        vms: EpisodeViewModels | None = self.vm
        if vms is None:
            return
        # A field is never cleared behind the person's back: each shows its view-model's value.
        for widget_id, model, attribute in self._FIELDS:
            value = getattr(getattr(vms, model), attribute)
            if self.ids[widget_id].text != value:
                self.ids[widget_id].text = value
        palette = App.get_running_app().theme.palette
        dest = vms.destination
        current_urgency = vms.urgency.current()
        selected = {
            "dest_receivers": None,
            "dest_alerts": dest.alert_type,
            "episode_urgency": current_urgency.level if current_urgency else None,
            "episode_outcomes": vms.disposition.outcome,
            "episode_consent": vms.disposition.consent_home_care,
        }
        labels: dict[str, Any] = {
            "dest_alerts": {None: message("dest.no_alert"), **ALERT_LABELS},
            "episode_urgency": URGENCY_LABELS,
            "episode_outcomes": OUTCOME_LABELS,
            "episode_consent": CONSENT_LABELS,
        }
        for box_id in self._CHOICES:
            for button in self.ids[box_id].children:
                if box_id == "dest_receivers":
                    receiver = dest.receivers[button.value]
                    button.text = ", ".join(p for p in (receiver.hospital, receiver.department) if p)
                else:
                    button.text = labels[box_id][button.value].render()
                # "Not asked" (None) is a choice on the consent grid; elsewhere None means nothing chosen.
                choosable = button.value is not None or box_id == "episode_consent"
                on = choosable and button.value == selected[box_id]
                swatch = palette.primary if on else palette.surface
                button.background_color, button.color = swatch.background, swatch.text
        self.ids.episode_saved.text = vms.journal.last_saved.render() if vms.journal.last_saved else ""
        self.refresh_own(vms)

    def refresh_own(self, vms: EpisodeViewModels) -> None:
        raise NotImplementedError


class TransportScreen(EpisodeScreen):
    """Destination, ETA and pre-alert; transport urgency."""

    _FIELDS = (
        ("dest_hospital", "destination", "hospital"),
        ("dest_department", "destination", "department"),
        ("dest_sor_code", "destination", "sor_code"),
        ("dest_eta", "destination", "eta"),
        ("dest_alert_receiver", "destination", "alert_receiver"),
        ("dest_alert_message", "destination", "alert_message"),
        ("urgency_reason", "urgency", "reason"),
    )
    _CHOICES = ("dest_receivers", "dest_alerts", "episode_urgency")

    def save_destination(self, *, confirmed: bool = False) -> None:
        self.vm.destination.submit(confirmed=confirmed)

    def refresh_own(self, vms: EpisodeViewModels) -> None:
        dest = vms.destination
        self.ids.dest_error.text = "\n".join(m.render() for m in dest.errors.values())
        self.ids.dest_confirm.text = dest.confirm.render() if dest.confirm else ""
        self.confirming = dest.confirm is not None
        self.ids.dest_notice.text = dest.notice.render() if dest.notice else ""


class DispositionScreen(EpisodeScreen):
    """Disposition; free-text notes; the same-patient link."""

    _FIELDS = (
        ("disposition_physician", "disposition", "physician"),
        ("disposition_advice", "disposition", "advice"),
        ("disposition_municipality", "disposition", "municipality"),
        ("notes_text", "notes", "text"),
        ("same_patient_reason", "same_patient", "reason"),
    )
    _CHOICES = ("episode_outcomes", "episode_consent")

    def save_disposition(self) -> None:
        self.vm.disposition.submit()

    def save_note(self) -> None:
        self.vm.notes.submit()

    def refresh_own(self, vms: EpisodeViewModels) -> None:
        self.ids.disposition_error.text = "\n".join(m.render() for m in vms.disposition.errors.values())
        self.ids.notes_error.text = vms.notes.error.render() if vms.notes.error else ""
        self.ids.notes_list.text = "\n".join(
            f"{_clock_time(line.time)}  {line.text} · {line.author}" for line in reversed(vms.notes.notes())
        )
        self.ids.same_patient_error.text = vms.same_patient.error.render() if vms.same_patient.error else ""
        box = self.ids.same_patient_candidates
        box.clear_widgets()
        linked = vms.same_patient.linked()
        height = dp(App.get_running_app().theme.sizes.touch_target)
        for index, row in enumerate(vms.same_patient.candidates()):
            button = Factory.BigButton(size_hint_y=None, height=height)
            button.control_id = f"same_patient_{index}"
            contact = _clock_time(row.contact_at) if row.contact_at else "–"
            text = _("journals.row", patient=row.patient, contact=contact)
            button.text = f"{text} · {_('same_patient.linked')}" if row.journal_id in linked else text
            button.bind(on_release=lambda _b, j=row.journal_id: vms.same_patient.link(j))
            box.add_widget(button)


def _fill_choices(box: Any, prefix: str, values: list[tuple[str, Any]], on_tap: Callable[[Any], Any]) -> None:
    """One button per ``(name, value)`` in ``box``, each calling ``on_tap(value)``; ``control_id`` is
    ``<prefix>_<name>`` (the test driver finds dynamic widgets by it)."""
    box.clear_widgets()
    for name, value in values:
        button = Factory.BigButton()
        button.control_id = f"{prefix}_{name}"
        button.value = value
        button.bind(on_release=lambda _b, v=value: on_tap(v))
        box.add_widget(button)


def _paint(button: Any, text: str, on: bool) -> None:
    palette = App.get_running_app().theme.palette
    swatch = palette.primary if on else palette.surface
    button.text, button.background_color, button.color = text, swatch.background, swatch.text


def _show_texts(ids: Any, fields: dict[str, str], texts: dict[str, str]) -> None:
    """Each input shows its view-model's text; an input already showing it is left alone (so the cursor
    stays), and nothing is cleared behind the person's back — the view-model only empties after a save."""
    for widget_id, name in fields.items():
        if ids[widget_id].text != texts[name]:
            ids[widget_id].text = texts[name]


def _errors_text(errors: dict[str, Any]) -> str:
    return "\n".join(m.render() for m in errors.values())


class HistoryScreen(Screen):  # type: ignore[misc]
    """Chief complaint (category and words); allergies, own medication, conditions."""

    vm = ObjectProperty(None)
    _FIELDS = {
        "complaint_text": "complaint",
        "history_substance": "allergy_substance",
        "history_reaction": "allergy_reaction",
        "history_medication": "medication",
        "history_conditions": "conditions",
        "history_source": "source",
    }

    def attach(self, vm: ComplaintHistoryViewModel) -> None:
        _observe(self, vm)
        _fill_choices(
            self.ids.complaint_categories, "category", [(c, c) for c in CATEGORIES], vm.choose_category
        )
        _fill_choices(
            self.ids.history_statuses,
            "allergy",
            [(s, s) for s in ("not_asked", "none_known")],
            vm.set_allergy_status,
        )
        _fill_choices(
            self.ids.history_allergens,
            "allergen",
            [(str(i), a) for i, a in enumerate(ALLERGEN_PICKS)],
            vm.pick_allergen,
        )
        self.refresh()

    def refresh(self) -> None:
        vm: ComplaintHistoryViewModel | None = self.vm
        if vm is None:
            return
        _show_texts(self.ids, self._FIELDS, vm.texts)
        for button in self.ids.complaint_categories.children:
            _paint(button, CATEGORY_LABELS[button.value].render(), button.value == vm.category)
        for button in self.ids.history_statuses.children:
            _paint(button, ALLERGY_STATUS_LABELS[button.value].render(), button.value == vm.allergy_status)
        for button in self.ids.history_allergens.children:
            _paint(button, button.value, False)
        box = self.ids.history_allergies
        box.clear_widgets()
        height = dp(App.get_running_app().theme.sizes.touch_target)
        for index, allergy in enumerate(vm.allergies):
            button = Factory.BigButton(size_hint_y=None, height=height)
            button.control_id = f"allergy_remove_{index}"
            named = f"{allergy.substance} ({allergy.reaction})" if allergy.reaction else allergy.substance
            button.text = _("history.remove_allergy", substance=named)
            button.bind(on_release=lambda _b, i=index: vm.remove_allergy(i))
            box.add_widget(button)
        complaint_fields = {"category", "complaint", "form"}
        self.ids.complaint_error.text = _errors_text(
            {k: v for k, v in vm.errors.items() if k in complaint_fields}
        )
        self.ids.history_error.text = _errors_text(
            {k: v for k, v in vm.errors.items() if k not in complaint_fields}
        )
        saved = vm.saved()
        self.ids.history_saved.text = saved.render() if saved else ""


class AbcdeScreen(Screen):  # type: ignore[misc]
    """Per letter: normal / abnormal and the finding; the impression; the latest survey."""

    vm = ObjectProperty(None)

    def attach(self, vm: AbcdeViewModel) -> None:
        _observe(self, vm)
        for letter in LETTERS:
            _fill_choices(
                self.ids[f"abcde_{letter}_marks"],
                f"abcde_{letter}",
                [(f, f) for f in FINDING_LABELS],
                partial(vm.mark, letter),
            )
        self.refresh()

    def refresh(self) -> None:
        vm: AbcdeViewModel | None = self.vm
        if vm is None:
            return
        _show_texts(self.ids, {f"abcde_{name}": name for name in vm.TEXT_FIELDS}, vm.texts)
        for letter in LETTERS:
            self.ids[f"abcde_{letter}_label"].text = LETTER_LABELS[letter].render()
            for button in self.ids[f"abcde_{letter}_marks"].children:
                _paint(button, FINDING_LABELS[button.value].render(), vm.findings[letter] == button.value)
        self.ids.abcde_error.text = _errors_text(vm.errors)
        saved = vm.saved()
        self.ids.abcde_saved.text = saved.render() if saved else ""
        latest = vm.latest()
        self.ids.abcde_latest.text = (
            _("abcde.latest", summary=latest.summary(language.current)) if latest else _("abcde.none")
        )


class ProcedureScreen(Screen):  # type: ignore[misc]
    """Favourite or typed procedure, time, attempts, outcome; the procedures done, each with its performer."""

    vm = ObjectProperty(None)
    _FIELDS = {
        "procedure_name": "name",
        "procedure_time": "time",
        "procedure_attempts": "attempts",
        "procedure_details": "details",
    }

    def attach(self, vm: ProcedureViewModel, *, crew: CrewViewModel) -> None:
        _observe(self, vm)
        self._crew = crew
        _fill_choices(
            self.ids.procedure_favourites,
            "procedure",
            [(str(i), i) for i in range(len(vm.favourites))],
            vm.choose,
        )
        _fill_choices(
            self.ids.procedure_outcomes,
            "procedure_outcome",
            [(o, o) for o in PROCEDURE_OUTCOME_LABELS],
            vm.set_outcome,
        )
        self.refresh()

    def refresh(self) -> None:
        vm: ProcedureViewModel | None = self.vm
        if vm is None:
            return
        _show_texts(self.ids, self._FIELDS, vm.texts)
        for button in self.ids.procedure_favourites.children:
            favourite = vm.favourites[button.value]
            _paint(button, favourite.name, favourite == vm.chosen)
        for button in self.ids.procedure_outcomes.children:
            _paint(button, PROCEDURE_OUTCOME_LABELS[button.value].render(), button.value == vm.outcome)
        self.ids.procedure_performer.text = _(
            "procedure.performer", name=self._crew.active_person().display_name
        )
        self.ids.procedure_error.text = _errors_text(vm.errors)
        saved = vm.saved()
        self.ids.procedure_saved.text = saved.render() if saved else ""
        done = vm.done()
        self.ids.procedure_done.text = (
            "\n".join(f"{_clock_time(at)}  {text} · {performer}" for at, text, performer in reversed(done))
            if done
            else _("procedure.none")
        )


class StrokeScreen(Screen):  # type: ignore[misc]
    """PASS: each item abnormal or normal; the preview is the journal's own PASS."""

    vm = ObjectProperty(None)

    def attach(self, vm: StrokeScaleViewModel) -> None:
        _observe(self, vm)
        for item in PASS_ITEMS:
            _fill_choices(
                self.ids[f"pass_{item}_answers"],
                f"pass_{item}",
                [("abnormal", True), ("normal", False)],
                partial(vm.pick, item),
            )
        self.refresh()

    def refresh(self) -> None:
        vm: StrokeScaleViewModel | None = self.vm
        if vm is None:
            return
        answers = {True: _("pass.abnormal"), False: _("pass.normal")}
        for item, label in PASS_ITEMS.items():
            self.ids[f"pass_{item}_label"].text = label.render()
            for button in self.ids[f"pass_{item}_answers"].children:
                _paint(button, answers[button.value], vm.findings[item] is button.value)
        self.ids.pass_preview.text = vm.preview().render()
        self.ids.pass_error.text = vm.error.render() if vm.error else ""
        saved = vm.saved()
        self.ids.pass_saved.text = saved.render() if saved else ""
