"""How the episode goes on and ends for one patient: destination with ETA and pre-alert, transport urgency,
disposition, free-text notes, and the "same patient" link between two journals.

Each view-model writes the journal's own kinds (``journal.kinds.disposition``: ``destination``,
``transport_urgency``, ``disposition``; ``journal.kinds.record``: ``note``; ``journal.kinds.patient``:
``same_patient_link``) through ``JournalViewModel.record`` — one entry, one local transaction, as the
active author; a new value of a single-valued fact is based on the value shown, so it updates the fact.

Bad input: a meaningless value (an ETA that is not a clock time, a SOR code that is not digits, a
disposition "declared dead" without the physician) is refused on its field with a plain message and
nothing is stored; an implausible one (an ETA more than ``ETA_CONFIRM_AFTER`` ahead) asks for
confirmation first. Fields keep what was typed until a save succeeds: nothing is cleared behind the
person's back.

The ED board sees a destination (and its pre-alert) only when it carries the SOR code of a hospital
known to the server (``server.sync.projections``); a destination typed without a SOR code is stored and
shown, with a notice that the board will not see it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import get_args
from uuid import UUID

from annotated_types import MaxLen
from pydantic import ValidationError

from journal.kinds.common import PersonRef
from journal.kinds.disposition import (
    Destination,
    Disposition,
    DispositionOutcome,
    PreAlert,
    TransportUrgency,
)
from journal.kinds.patient import SamePatientLink
from journal.kinds.record import Note
from journal.local_time import DANISH_TIME
from journal.municipalities import UnknownMunicipalityError, find_municipality
from tablet_app.facades.clock import ClockFacade
from tablet_app.i18n import Message, language, message
from tablet_app.observable import Observable
from tablet_app.viewmodels.drafts import DraftStore
from tablet_app.viewmodels.journal_list import OUTCOME_LABELS, JournalListViewModel, JournalRow
from tablet_app.viewmodels.patient_journal import JournalViewModel

ALERT_TYPES: tuple[str, ...] = get_args(PreAlert.model_fields["alert_type"].annotation)
URGENCY_LEVELS: tuple[str, ...] = get_args(TransportUrgency.model_fields["level"].annotation)
OUTCOMES: tuple[str, ...] = get_args(DispositionOutcome)

ALERT_LABELS: dict[str, Message] = {
    "stemi": message("alert.stemi"),
    "stroke": message("alert.stroke"),
    "trauma": message("alert.trauma"),
    "cardiac_arrest": message("alert.cardiac_arrest"),
    "sepsis": message("alert.sepsis"),
    "medical": message("alert.medical"),
    "other": message("alert.other"),
}
URGENCY_LABELS: dict[str, Message] = {
    "A": message("urgency.level_a"),
    "B": message("urgency.level_b"),
    "C": message("urgency.level_c"),
    "D": message("urgency.level_d"),
}

CONSENT_LABELS: dict[bool | None, Message] = {
    True: message("disposition.consent.yes"),
    False: message("disposition.consent.no"),
    None: message("disposition.consent.unasked"),
}


def _municipality_name(code: str | None) -> str:
    """What the municipality field shows for a recorded code: its name (a code a later list dropped shows
    as the code itself, never as blank)."""
    if code is None:
        return ""
    try:
        return find_municipality(code).name
    except UnknownMunicipalityError:
        return code


ETA_GRACE = timedelta(minutes=10)
"""An ETA clock time up to this long before now is today's (the crew is late); earlier means tomorrow."""
ETA_CONFIRM_AFTER = timedelta(hours=3)
"""An ETA further ahead than this is implausible for a prehospital transport and is confirmed first."""

_CLOCK_TIME = re.compile(r"^\s*(\d{1,2})[:.]?(\d{2})\s*$")
_SOR = re.compile(r"^\d{6,18}$")


@dataclass(frozen=True)
class Receiver:
    """A receiving hospital department the tablet offers with one tap (its SOR code lets the board see it)."""

    hospital: str
    department: str | None
    sor_code: str | None


def load_receivers(path: Path) -> tuple[Receiver, ...]:
    """The quick list of receiving departments from ``path`` (``receivers.json`` in the app data: a JSON
    list of ``{"hospital", "department", "sor_code"}``, set up with the region's SOR codes); none when the
    file is absent. A malformed file raises ``ValueError`` naming the entry and field."""
    if not path.exists():
        return ()
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path.name}: must be a JSON list of receivers")
    out = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("hospital"), str) or not item["hospital"]:
            raise ValueError(f"{path.name}[{index}].hospital: a hospital name is required")
        department, sor = item.get("department"), item.get("sor_code")
        if department is not None and not isinstance(department, str):
            raise ValueError(f"{path.name}[{index}].department: must be text")
        if sor is not None and not (isinstance(sor, str) and _SOR.match(sor)):
            raise ValueError(f"{path.name}[{index}].sor_code: must be 6–18 digits")
        out.append(Receiver(item["hospital"], department, sor))
    return tuple(out)


def parse_eta(text: str, *, now: datetime) -> datetime | None:
    """The ETA for a typed Danish clock time ("14:35", "1435", "14.35"): the next such time from
    ``now - ETA_GRACE``; None when the text is not a clock time."""
    match = _CLOCK_TIME.match(text)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    local_now = now.astimezone(DANISH_TIME)
    candidate = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate < local_now - ETA_GRACE:
        # Clock arithmetic in Danish wall time: the same clock time on the next day.
        candidate = (candidate.replace(tzinfo=None) + timedelta(days=1)).replace(tzinfo=DANISH_TIME)
    return candidate


class DestinationViewModel(Observable):
    """Destination hospital and department, ETA, and the pre-alert to the receiving department."""

    FIELDS = ("hospital", "department", "sor_code", "eta", "alert_receiver", "alert_message")

    def __init__(
        self, *, journal: JournalViewModel, clock: ClockFacade, receivers: Sequence[Receiver] = ()
    ) -> None:
        super().__init__()
        self._journal = journal
        self._clock = clock
        self.receivers = tuple(receivers)
        self.errors: dict[str, Message] = {}
        self.confirm: Message | None = None  # an implausible value waiting for "yes, correct"
        self.notice: Message | None = None
        self.hospital = self.department = self.sor_code = self.eta = ""
        self.alert_type: str | None = None
        self.alert_receiver = self.alert_message = ""
        self._shown: Destination | None = None
        self.load()

    def current(self) -> Destination | None:
        value = self._journal.state.value("destination")
        return value if isinstance(value, Destination) else None

    def load(self) -> None:
        """Show the stored destination (the fields start from what is recorded, never blank over it)."""
        shown = self._shown = self.current()
        if shown is not None:
            self.hospital, self.department = shown.hospital, shown.department or ""
            self.sor_code = shown.sor_code or ""
            self.eta = f"{shown.eta.astimezone(DANISH_TIME):%H:%M}" if shown.eta else ""
            alert = shown.pre_alert
            self.alert_type = alert.alert_type if alert else None
            self.alert_receiver = alert.receiver if alert else ""
            self.alert_message = (alert.message or "") if alert else ""
        self._changed()

    def set(self, name: str, value: str) -> None:
        if name not in self.FIELDS:
            raise ValueError(f"no such destination field: {name!r}")
        if getattr(self, name) != value:
            setattr(self, name, value)
            self.errors.pop(name, None)
            self.confirm = None
            self._changed()

    def choose_receiver(self, index: int) -> None:
        receiver = self.receivers[index]
        self.hospital, self.department = receiver.hospital, receiver.department or ""
        self.sor_code = receiver.sor_code or ""
        for name in ("hospital", "department", "sor_code"):
            self.errors.pop(name, None)
        self._changed()

    def choose_alert(self, alert_type: str | None) -> None:
        """The pre-alert's type (None: no pre-alert)."""
        if alert_type is not None and alert_type not in ALERT_TYPES:
            raise ValueError(f"alert_type: {alert_type!r} is not one of {ALERT_TYPES}")
        self.alert_type = alert_type
        self.errors.pop("alert", None)
        self._changed()

    def submit(self, *, confirmed: bool = False) -> bool:
        """Save the destination; False with ``errors`` per field, or with ``confirm`` set when a value is
        implausible (call again with ``confirmed=True`` once the person confirms)."""
        now = self._clock.now()
        self.errors, self.notice = {}, None
        if not self.hospital.strip():
            self.errors["hospital"] = message("dest.error.hospital")
        sor = self.sor_code.strip()
        if sor and not _SOR.match(sor):
            self.errors["sor_code"] = message("dest.error.sor")
        eta: datetime | None = None
        if self.eta.strip():
            eta = parse_eta(self.eta, now=now)
            if eta is None:
                self.errors["eta"] = message("dest.error.eta")
        if self.errors:
            self.confirm = None
            self._changed()
            return False
        if eta is not None and eta - now > ETA_CONFIRM_AFTER and not confirmed:
            self.confirm = message("dest.confirm.eta_far", eta=f"{eta:%H:%M}")
            self._changed()
            return False
        try:
            destination = Destination(
                hospital=self.hospital.strip(),
                department=self.department.strip() or None,
                sor_code=sor or None,
                eta=eta,
                pre_alert=self._pre_alert(now),
            )
        except ValidationError as exc:
            self.errors["form"] = message("dest.error.invalid", detail=exc.errors()[0]["msg"])
            self._changed()
            return False
        self.confirm = None
        if destination.sor_code is None:
            self.notice = message("dest.notice.no_sor")
        self._journal.record(
            destination, saved=message("dest.saved", summary=destination.summary(language.current))
        )
        self.load()
        return True

    def _pre_alert(self, now: datetime) -> PreAlert | None:
        if self.alert_type is None:
            return None
        receiver = self.alert_receiver.strip() or ", ".join(
            part for part in (self.hospital.strip(), self.department.strip()) if part
        )
        previous = self._shown.pre_alert if self._shown is not None else None
        unchanged = previous is not None and (
            previous.alert_type,
            previous.receiver,
            previous.message or "",
        ) == (self.alert_type, receiver, self.alert_message.strip())
        return PreAlert(
            alert_type=self.alert_type,  # checked against ALERT_TYPES on choice
            # A pre-alert already sent keeps its time when only the destination's other fields change.
            sent_at=previous.sent_at if unchanged and previous is not None else now,
            receiver=receiver,
            message=self.alert_message.strip() or None,
        )


class TransportUrgencyViewModel(Observable):
    """Kørselsform A–D to hospital: one tap records it (a later tap updates it)."""

    def __init__(self, *, journal: JournalViewModel) -> None:
        super().__init__()
        self._journal = journal
        self.reason = ""

    def current(self) -> TransportUrgency | None:
        value = self._journal.state.value("transport_urgency")
        return value if isinstance(value, TransportUrgency) else None

    def set_reason(self, text: str) -> None:
        if text != self.reason:
            self.reason = text
            self._changed()

    def choose(self, level: str) -> None:
        if level not in URGENCY_LEVELS:
            raise ValueError(f"level: {level!r} is not one of {URGENCY_LEVELS}")
        chosen = TransportUrgency(level=level, reason=self.reason.strip() or None)
        current = self.current()
        if current is not None and current == chosen:
            return  # a second tap on the same level adds nothing
        self._journal.record(chosen, saved=message("urgency.saved", level=level))
        self._changed()


class DispositionViewModel(Observable):
    """How the episode ends for this patient (the journal's disposition outcomes)."""

    def __init__(self, *, journal: JournalViewModel) -> None:
        super().__init__()
        self._journal = journal
        self.errors: dict[str, Message] = {}
        current = self.current()
        self.outcome: str | None = current.outcome if current else None
        self.physician = current.declared_dead_by.name if current and current.declared_dead_by else ""
        self.advice = (current.advice_given or "") if current else ""
        # Consent to notify municipal home care: True, False, or None (not asked). With consent, the notice
        # needs the patient's municipality of residence, which is part of the patient's identity.
        self.consent_home_care: bool | None = current.consent_share_with_home_care if current else None
        self.municipality = _municipality_name(self.recorded_municipality_code())

    def current(self) -> Disposition | None:
        value = self._journal.state.value("disposition")
        return value if isinstance(value, Disposition) else None

    def recorded_municipality_code(self) -> str | None:
        identity = self._journal.identity()
        return identity.municipality_code if identity is not None else None

    def choose_consent(self, consent: bool | None) -> None:
        self.consent_home_care = consent
        self.errors.pop("municipality", None)
        self._changed()

    def choose(self, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome: {outcome!r} is not one of {OUTCOMES}")
        self.outcome = outcome
        self.errors.pop("outcome", None)
        self._changed()

    def set(self, name: str, value: str) -> None:
        if name not in ("physician", "advice", "municipality"):
            raise ValueError(f"no such disposition field: {name!r}")
        if getattr(self, name) != value:
            setattr(self, name, value)
            self.errors.pop(name, None)
            self._changed()

    def submit(self) -> bool:
        self.errors = {}
        if self.outcome is None:
            self.errors["outcome"] = message("disposition.error.outcome")
        elif self.outcome == "declared_dead" and not self.physician.strip():
            self.errors["physician"] = message("disposition.error.physician")
        municipality_code = self._municipality_to_record()
        if self.errors or self.outcome is None:
            self._changed()
            return False
        try:
            disposition = Disposition(
                outcome=self.outcome,  # checked against OUTCOMES on choice
                declared_dead_by=PersonRef(name=self.physician.strip(), role="physician")
                if self.outcome == "declared_dead"
                else None,
                advice_given=self.advice.strip() or None,
                consent_share_with_home_care=self.consent_home_care,
            )
        except ValidationError as exc:
            self.errors["form"] = message("disposition.error.invalid", detail=exc.errors()[0]["msg"])
            self._changed()
            return False
        if municipality_code is not None and municipality_code != self.recorded_municipality_code():
            self._journal.set_municipality(municipality_code)
        self._journal.record(
            disposition, saved=message("disposition.saved", outcome=OUTCOME_LABELS[self.outcome])
        )
        self._changed()
        return True

    def _municipality_to_record(self) -> str | None:
        """The municipality code the typed text names (None when nothing is typed), or an error under
        ``municipality``: consent to notify home care needs the municipality, and recording it needs an
        identified patient (it is part of the identity). Never guessed: an ambiguous name is refused."""
        typed = self.municipality.strip()
        if not typed:
            if self.consent_home_care is True and self.recorded_municipality_code() is None:
                self.errors["municipality"] = message("disposition.error.municipality_needed")
            return None
        try:
            found = find_municipality(typed)
        except UnknownMunicipalityError as exc:
            self.errors["municipality"] = (
                message(
                    "disposition.error.municipality_ambiguous",
                    text=typed,
                    names=", ".join(m.name for m in exc.candidates[:5]),
                )
                if exc.candidates
                else message("disposition.error.municipality_unknown", text=typed)
            )
            return None
        if self._journal.identity() is None:
            self.errors["municipality"] = message("disposition.error.municipality_identity")
            return None
        self.municipality = found.name
        return found.code


@dataclass(frozen=True)
class NoteLine:
    time: datetime
    author: str
    text: str


class NotesViewModel(Observable):
    """Free-text notes; each save is one ``note`` entry at now. The text being typed is a draft in the
    encrypted store (``drafts``) from the first keystroke until it is saved, so a crash loses nothing typed:
    reopening the journal shows it again."""

    MAX_CHARS: int = next(m.max_length for m in Note.model_fields["text"].metadata if isinstance(m, MaxLen))

    def __init__(self, *, journal: JournalViewModel, drafts: DraftStore) -> None:
        super().__init__()
        self._journal = journal
        self._drafts = drafts
        self._draft_id = f"note:{journal.journal_id}"
        self.text = drafts.get(self._draft_id) or ""
        self.error: Message | None = None

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.error = None
            if text:
                self._drafts.put(self._draft_id, text, journal_id=str(self._journal.journal_id))
            else:
                self._drafts.delete(self._draft_id)
            self._changed()

    def submit(self) -> bool:
        text = self.text.strip()
        if not text:
            self.error = message("notes.error.empty")
        elif len(text) > self.MAX_CHARS:
            self.error = message("notes.error.too_long", limit=self.MAX_CHARS, length=len(text))
        if self.error is not None:
            self._changed()
            return False
        self._journal.record(Note(text=text), saved=message("notes.saved"))
        self._drafts.delete(self._draft_id)  # after the entry is stored: a failed save keeps the draft
        self.text = ""
        self._changed()
        return True

    def notes(self) -> list[NoteLine]:
        lines = [
            NoteLine(revision.time, revision.entry.author.name, revision.value.text)
            for revision, _fact in self._journal.state.current_entries("note")
            if isinstance(revision.value, Note)
        ]
        return sorted(lines, key=lambda line: line.time)


class SamePatientViewModel(Observable):
    """Link this journal with another one for the same patient (two units documented one patient apart).

    Candidates are the other patient journals on this tablet, those of the same mission first. The link is
    a ``same_patient_link`` entry in this journal naming the other; the fold and the list show it on both.
    """

    def __init__(self, *, journal: JournalViewModel, journals: JournalListViewModel) -> None:
        super().__init__()
        self._journal = journal
        self._journals = journals
        self.reason = ""
        self.error: Message | None = None

    def _mission(self) -> str | None:
        own = next((r for r in self._journals.rows() if r.journal_id == self._journal.journal_id), None)
        return own.mission_reference if own else None

    def candidates(self) -> list[JournalRow]:
        mission = self._mission()
        others = [r for r in self._journals.rows() if r.journal_id != self._journal.journal_id]
        return sorted(others, key=lambda r: mission is None or r.mission_reference != mission)

    def linked(self) -> set[UUID]:
        own = next((r for r in self._journals.rows() if r.journal_id == self._journal.journal_id), None)
        return set(own.same_patient_as) if own else set()

    def set_reason(self, text: str) -> None:
        if text != self.reason:
            self.reason = text
            self.error = None
            self._changed()

    def link(self, other_journal_id: UUID) -> bool:
        if other_journal_id == self._journal.journal_id or other_journal_id not in {
            r.journal_id for r in self.candidates()
        }:
            raise ValueError(f"other_journal_id: {other_journal_id} is not another journal on this tablet")
        if other_journal_id in self.linked():
            self.error = message("same_patient.error.already")
        elif not self.reason.strip():
            self.error = message("same_patient.error.reason")
        if self.error is not None:
            self._changed()
            return False
        self._journal.record(
            SamePatientLink(other_journal_id=other_journal_id, reason=self.reason.strip()),
            saved=message("same_patient.saved"),
        )
        self.reason = ""
        self._journals.refresh()
        self._changed()
        return True
