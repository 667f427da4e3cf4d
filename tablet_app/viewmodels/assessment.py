"""What the crew finds and does: chief complaint, history with allergies, the ABCDE primary survey, and
procedures — each written as the journal's own kind (``journal.kinds.patient``: ``chief_complaint``,
``history``; ``journal.kinds.observations``: ``assessment``; ``journal.kinds.treatment``: ``procedure``)
through ``JournalViewModel.record``, one entry in one local transaction, as the active author.

Free text typed on these screens is a draft in the encrypted store (``drafts``, one JSON body per screen
and journal) from the first keystroke until it is saved, as the notes are: a crash loses nothing typed.
Bad input is refused on its field with a plain message and nothing is stored; no field is cleared except
by a successful save of a new entry (ABCDE, procedure) — a complaint or history stays on screen as saved.

Allergies have three states, never two: *not asked* (nothing recorded: the handover says "allergies not
recorded"), *no known allergies* (asked; ``History.no_known_allergies``), and *allergies listed*. "No known
allergies" while allergies are listed is refused rather than either side being dropped (H-TABAS-1).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, get_args

from pydantic import ValidationError

from journal.kinds.observations import Assessment, StrokeScale
from journal.kinds.patient import Allergy, ChiefComplaint, ComplaintCategory, History
from journal.kinds.treatment import Procedure
from journal.scores import ScoreName
from journal.scores.stroke_pass import PassResult, score_pass
from tablet_app.facades.clock import ClockFacade
from tablet_app.i18n import Message, language, message
from tablet_app.observable import Observable
from tablet_app.viewmodels.drafts import DraftStore
from tablet_app.viewmodels.patient_journal import JournalViewModel
from tablet_app.viewmodels.review import typed_time

CATEGORIES: tuple[str, ...] = get_args(ComplaintCategory)
AllergyStatus = Literal["not_asked", "none_known", "listed"]
ALLERGY_STATUSES: tuple[AllergyStatus, ...] = get_args(AllergyStatus)
ALLERGEN_PICKS: tuple[str, ...] = ("Penicillin", "NSAID", "Morfin", "Latex", "Jod/kontraststof", "Nødder")
"""Typing shortcuts for common allergy substances (text only; nothing is coded or checked against them)."""

LETTERS: tuple[str, ...] = (
    "catastrophic_haemorrhage",
    "airway",
    "breathing",
    "circulation",
    "disability",
    "exposure",
)
Finding = Literal["normal", "abnormal"]
LETTER_LABELS: dict[str, Message] = {
    "catastrophic_haemorrhage": message("abcde.catastrophic_haemorrhage"),
    "airway": message("abcde.airway"),
    "breathing": message("abcde.breathing"),
    "circulation": message("abcde.circulation"),
    "disability": message("abcde.disability"),
    "exposure": message("abcde.exposure"),
}
FINDING_LABELS: dict[str, Message] = {
    "normal": message("abcde.finding.normal"),
    "abnormal": message("abcde.finding.abnormal"),
}
CATEGORY_LABELS: dict[str, Message] = {
    "chest_pain": message("complaint.chest_pain"),
    "stroke_symptoms": message("complaint.stroke_symptoms"),
    "trauma": message("complaint.trauma"),
    "cardiac_arrest": message("complaint.cardiac_arrest"),
    "breathing_difficulty": message("complaint.breathing_difficulty"),
    "hypoglycaemia": message("complaint.hypoglycaemia"),
    "diabetes_other": message("complaint.diabetes_other"),
    "altered_consciousness": message("complaint.altered_consciousness"),
    "seizure": message("complaint.seizure"),
    "abdominal_pain": message("complaint.abdominal_pain"),
    "intoxication": message("complaint.intoxication"),
    "psychiatric": message("complaint.psychiatric"),
    "other": message("complaint.other"),
}
ALLERGY_STATUS_LABELS: dict[str, Message] = {
    "not_asked": message("history.allergy.not_asked"),
    "none_known": message("history.allergy.none_known"),
    "listed": message("history.allergy.listed"),
}
PROCEDURE_OUTCOME_LABELS: dict[str, Message] = {
    "unknown": message("procedure.outcome.unknown"),
    "successful": message("procedure.outcome.successful"),
    "failed": message("procedure.outcome.failed"),
}
PROCEDURES_FILE = Path(__file__).resolve().parents[1] / "data" / "procedures.json"


def _field_errors(exc: ValidationError, known: Mapping[str, str]) -> dict[str, Message]:
    """The journal's own refusal, on the screen field it concerns (``form`` when no field matches)."""
    first = exc.errors()[0]
    field = known.get(str(first["loc"][0]) if first["loc"] else "", "form")
    return {field: message("assess.error.invalid", detail=first["msg"])}


class _Drafted(Observable):
    """Text fields kept as one draft (a JSON object) in the encrypted store until saved."""

    TEXT_FIELDS: tuple[str, ...] = ()

    def __init__(self, *, journal: JournalViewModel, drafts: DraftStore, scope: str) -> None:
        super().__init__()
        self._journal = journal
        self._drafts = drafts
        self._draft_id = f"{scope}:{journal.journal_id}"
        self.errors: dict[str, Message] = {}
        self.texts: dict[str, str] = dict.fromkeys(self.TEXT_FIELDS, "")

    def saved(self) -> Message | None:
        """What the journal last saved (shown as confirmation on the screen)."""
        return self._journal.last_saved

    def _restore_draft(self) -> bool:
        body = self._drafts.get(self._draft_id)
        if body is None:
            return False
        saved = json.loads(body)
        self.texts.update({k: v for k, v in saved.items() if k in self.texts and isinstance(v, str)})
        return True

    def set(self, name: str, value: str) -> None:
        if name not in self.texts:
            raise ValueError(f"no such field: {name!r}")
        if self.texts[name] != value:
            self.texts[name] = value
            self.errors.pop(name, None)
            self._keep_draft()
            self._changed()

    def _keep_draft(self) -> None:
        if any(self.texts.values()):
            body = json.dumps(self.texts, ensure_ascii=False)
            self._drafts.put(self._draft_id, body, journal_id=str(self._journal.journal_id))
        else:
            self._drafts.delete(self._draft_id)

    def _fail(self) -> bool:
        self._changed()
        return False


# -------------------------------------------------------------------------- complaint and history


def _lines(text: str) -> tuple[str, ...]:
    """A typed list: items between commas (or lines), blanks dropped; shown again joined by commas."""
    return tuple(part.strip() for line in text.splitlines() for part in line.split(",") if part.strip())


@dataclass(frozen=True)
class AllergyLine:
    substance: str
    reaction: str | None


class ComplaintHistoryViewModel(_Drafted):
    """Chief complaint (a category quick pick plus the crew's own words) and history (allergies, own
    medication, conditions). The fields start from what is recorded — or from an unsaved draft."""

    TEXT_FIELDS = ("complaint", "allergy_substance", "allergy_reaction", "medication", "conditions", "source")

    def __init__(self, *, journal: JournalViewModel, drafts: DraftStore) -> None:
        super().__init__(journal=journal, drafts=drafts, scope="history")
        complaint, history = self.current_complaint(), self.current_history()
        self.category: str | None = complaint.category if complaint else None
        self.allergy_status: AllergyStatus = "not_asked"
        self.allergies: list[AllergyLine] = []
        if complaint is not None:
            self.texts["complaint"] = complaint.text
        if history is not None:
            self.allergies = [AllergyLine(a.substance, a.reaction) for a in history.allergies]
            self.allergy_status = (
                "none_known" if history.no_known_allergies else "listed" if history.allergies else "not_asked"
            )
            self.texts["medication"] = ", ".join(history.own_medication)
            self.texts["conditions"] = ", ".join(history.conditions)
            self.texts["source"] = history.information_source or ""
        self._restore_draft()

    def current_complaint(self) -> ChiefComplaint | None:
        value = self._journal.state.value("chief_complaint")
        return value if isinstance(value, ChiefComplaint) else None

    def current_history(self) -> History | None:
        value = self._journal.state.value("history")
        return value if isinstance(value, History) else None

    def choose_category(self, category: str) -> None:
        if category not in CATEGORIES:
            raise ValueError(f"category: {category!r} is not one of {CATEGORIES}")
        self.category = category
        self.errors.pop("category", None)
        self._changed()

    def pick_allergen(self, substance: str) -> None:
        """A quick pick fills the substance field (the reaction can still be typed before adding it)."""
        self.set("allergy_substance", substance)

    def add_allergy(self) -> bool:
        substance = self.texts["allergy_substance"].strip()
        if not substance:
            self.errors["allergy_substance"] = message("history.error.substance")
            return self._fail()
        if self.allergy_status == "none_known":
            # Never untick "no known allergies" behind the person's back: they say which is true.
            self.errors["allergy_status"] = message("history.error.none_known_but_listed")
            return self._fail()
        try:
            allergy = Allergy(substance=substance, reaction=self.texts["allergy_reaction"].strip() or None)
        except ValidationError as exc:
            self.errors = _field_errors(
                exc, {"substance": "allergy_substance", "reaction": "allergy_reaction"}
            )
            return self._fail()
        self.allergies.append(AllergyLine(allergy.substance, allergy.reaction))
        self.allergy_status = "listed"
        self.texts["allergy_substance"] = self.texts["allergy_reaction"] = ""
        self.errors.pop("allergy_status", None)
        self._keep_draft()
        self._changed()
        return True

    def remove_allergy(self, index: int) -> None:
        del self.allergies[index]
        if not self.allergies:
            self.allergy_status = "not_asked"
        self._changed()

    def set_allergy_status(self, status: str) -> None:
        """ "Not asked" or "no known allergies"; refused while allergies are listed (remove them first)."""
        if status not in ("not_asked", "none_known"):
            raise ValueError(f"allergy status: {status!r} is not one of not_asked, none_known")
        if self.allergies:
            self.errors["allergy_status"] = message("history.error.none_known_but_listed")
            self._fail()
            return
        self.allergy_status = "none_known" if status == "none_known" else "not_asked"
        self.errors.pop("allergy_status", None)
        self._changed()

    def submit_complaint(self) -> bool:
        self.errors = {}
        if self.category is None:
            self.errors["category"] = message("complaint.error.category")
        if not self.texts["complaint"].strip():
            self.errors["complaint"] = message("complaint.error.text")
        if self.errors or self.category is None:
            return self._fail()
        previous = self.current_complaint()
        try:
            complaint = ChiefComplaint.model_validate(
                {
                    "text": self.texts["complaint"].strip(),
                    "category": self.category,
                    # The crew's words change; the onset and last-known-well already recorded stay.
                    "onset": previous.onset if previous else None,
                    "last_known_well": previous.last_known_well if previous else None,
                }
            )
        except ValidationError as exc:
            self.errors = _field_errors(exc, {"text": "complaint"})
            return self._fail()
        if complaint != previous:
            self._journal.record(
                complaint, saved=message("complaint.saved", summary=complaint.summary(language.current))
            )
        self._forget_draft_if_saved()
        self._changed()
        return True

    def submit_history(self) -> bool:
        self.errors = {}
        if self.texts["allergy_substance"].strip():
            # A substance typed but not added would be lost by saving: say so instead.
            self.errors["allergy_substance"] = message("history.error.substance_not_added")
            return self._fail()
        try:
            history = History(
                no_known_allergies=self.allergy_status == "none_known",
                allergies=tuple(Allergy(substance=a.substance, reaction=a.reaction) for a in self.allergies),
                own_medication=_lines(self.texts["medication"]),
                conditions=_lines(self.texts["conditions"]),
                lives_alone=(previous.lives_alone if (previous := self.current_history()) else None),
                information_source=self.texts["source"].strip() or None,
            )
        except ValidationError as exc:
            self.errors = _field_errors(exc, {"information_source": "source"})
            return self._fail()
        issues = history.impossible()
        if issues:
            self.errors["allergy_status"] = message("history.error.none_known_but_listed")
            return self._fail()
        if history != self.current_history():
            self._journal.record(history, saved=message("history.saved"))
        self._forget_draft_if_saved()
        self._changed()
        return True

    def _forget_draft_if_saved(self) -> None:
        """The draft goes only when everything it holds is in the journal (complaint and history are saved
        apart; the draft covers both)."""
        complaint, history = self.current_complaint(), self.current_history()
        saved_complaint = complaint.text if complaint else ""
        saved = {
            "complaint": saved_complaint,
            "medication": ", ".join(history.own_medication) if history else "",
            "conditions": ", ".join(history.conditions) if history else "",
            "source": (history.information_source or "") if history else "",
        }
        unsaved = self.texts["allergy_substance"] or self.texts["allergy_reaction"]
        same = all(
            _lines(self.texts[k]) == _lines(v)
            if k in ("medication", "conditions")
            else self.texts[k].strip() == v
            for k, v in saved.items()
        )
        if same and not unsaved:
            self._drafts.delete(self._draft_id)


# ------------------------------------------------------------------------------------------- ABCDE


class AbcdeViewModel(_Drafted):
    """One primary survey: per letter a quick "normal"/"abnormal" and the crew's words, plus the working
    impression. An abnormal letter needs its finding described; a letter left blank is not assessed. Each
    save is a new ``assessment`` entry (a reassessment adds one), after which the fields are empty."""

    TEXT_FIELDS = (*LETTERS, "impression")

    def __init__(self, *, journal: JournalViewModel, drafts: DraftStore) -> None:
        super().__init__(journal=journal, drafts=drafts, scope="abcde")
        self.findings: dict[str, Finding | None] = dict.fromkeys(LETTERS, None)
        if self._restore_draft():
            body = json.loads(self._drafts.get(self._draft_id) or "{}")
            marks = body.get("_findings", {})
            self.findings.update({k: v for k, v in marks.items() if k in LETTERS and v in get_args(Finding)})

    def mark(self, letter: str, finding: str | None) -> None:
        """Normal, abnormal, or None (not assessed); a second tap on the same finding takes it back."""
        if letter not in LETTERS:
            raise ValueError(f"no such ABCDE letter: {letter!r}")
        if finding is not None and finding not in get_args(Finding):
            raise ValueError(f"finding: {finding!r} is not normal or abnormal")
        self.findings[letter] = None if self.findings[letter] == finding else finding  # type: ignore[assignment]
        self.errors.pop(letter, None)
        self._keep_draft()
        self._changed()

    def _keep_draft(self) -> None:
        if any(self.texts.values()) or any(self.findings.values()):
            body = json.dumps({**self.texts, "_findings": self.findings}, ensure_ascii=False)
            self._drafts.put(self._draft_id, body, journal_id=str(self._journal.journal_id))
        else:
            self._drafts.delete(self._draft_id)

    def letter_text(self, letter: str) -> str | None:
        """What the entry records for ``letter``: the finding word and the crew's words."""
        typed = self.texts[letter].strip()
        finding = self.findings[letter]
        if finding is None:
            return typed or None
        word = FINDING_LABELS[finding].render()
        return f"{word}: {typed}" if typed else word

    def submit(self) -> bool:
        self.errors = {}
        for letter in LETTERS:
            if self.findings[letter] == "abnormal" and not self.texts[letter].strip():
                self.errors[letter] = message("abcde.error.describe", letter=LETTER_LABELS[letter])
        values = {letter: self.letter_text(letter) for letter in LETTERS}
        impression = self.texts["impression"].strip() or None
        if not self.errors and not any(values.values()) and impression is None:
            self.errors["form"] = message("abcde.error.empty")
        if self.errors:
            return self._fail()
        try:
            assessment = Assessment.model_validate({**values, "impression": impression})
        except ValidationError as exc:
            self.errors = _field_errors(exc, {name: name for name in self.TEXT_FIELDS})
            return self._fail()
        self._journal.record(assessment, saved=message("abcde.saved"))
        self._drafts.delete(self._draft_id)  # after the entry is stored: a failed save keeps the draft
        self.texts = dict.fromkeys(self.TEXT_FIELDS, "")
        self.findings = dict.fromkeys(LETTERS, None)
        self._changed()
        return True

    def latest(self) -> Assessment | None:
        revisions = [
            (revision.time, revision.value)
            for revision, _fact in self._journal.state.current_entries("assessment")
            if isinstance(revision.value, Assessment)
        ]
        return max(revisions, key=lambda pair: pair[0])[1] if revisions else None


# -------------------------------------------------------------------------------------- procedures


@dataclass(frozen=True)
class ProcedureFavourite:
    name: str
    snomed_code: str | None


def load_procedures(path: Path = PROCEDURES_FILE) -> tuple[ProcedureFavourite, ...]:
    """The favourites list (``tablet_app/data/procedures.json``: ``source``, ``version`` and ``procedures``,
    each ``{"name", "snomed_code"}``); a malformed file raises ``ValueError`` naming the entry and field."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not data.get("source") or not data.get("version"):
        raise ValueError(f"{path.name}: needs a source and a version")
    out = []
    for index, item in enumerate(data.get("procedures", ())):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise ValueError(f"{path.name}.procedures[{index}].name: a name is required")
        code = item.get("snomed_code")
        if code is not None and not (isinstance(code, str) and code.isdigit() and 6 <= len(code) <= 18):
            raise ValueError(f"{path.name}.procedures[{index}].snomed_code: must be 6–18 digits")
        out.append(ProcedureFavourite(item["name"], code))
    return tuple(out)


OUTCOMES: dict[str, bool | None] = {"unknown": None, "successful": True, "failed": False}


class ProcedureViewModel(_Drafted):
    """A procedure from the favourites (or typed), at now or a typed earlier clock time, with attempts and
    outcome. The performer is the entry's author: the crew member who is active when it is saved."""

    TEXT_FIELDS = ("name", "time", "attempts", "details")

    def __init__(
        self,
        *,
        journal: JournalViewModel,
        drafts: DraftStore,
        clock: ClockFacade,
        favourites: tuple[ProcedureFavourite, ...],
    ) -> None:
        super().__init__(journal=journal, drafts=drafts, scope="procedure")
        self._clock = clock
        self.favourites = favourites
        self.chosen: ProcedureFavourite | None = None
        self.outcome: str = "unknown"
        self._restore_draft()

    def choose(self, index: int) -> None:
        self.chosen = self.favourites[index]
        self.set("name", self.chosen.name)

    def set(self, name: str, value: str) -> None:
        if name == "name" and self.chosen is not None and value != self.chosen.name:
            self.chosen = None  # typed over: no longer the favourite (nor its code)
        super().set(name, value)

    def set_outcome(self, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome: {outcome!r} is not one of {tuple(OUTCOMES)}")
        self.outcome = outcome
        self._changed()

    def submit(self) -> bool:
        self.errors = {}
        now = self._clock.now()
        name = self.texts["name"].strip()
        if not name:
            self.errors["name"] = message("procedure.error.name")
        at = now
        if self.texts["time"].strip():
            typed = typed_time(self.texts["time"], near=now)
            if typed is None:
                self.errors["time"] = message("procedure.error.time")
            elif typed > now:
                self.errors["time"] = message("procedure.error.future")
            else:
                at = typed
        attempts: int | None = None
        if self.texts["attempts"].strip():
            typed_attempts = self.texts["attempts"].strip()
            if not typed_attempts.isdigit() or int(typed_attempts) < 1:
                self.errors["attempts"] = message("procedure.error.attempts")
            else:
                attempts = int(typed_attempts)
        if self.errors:
            return self._fail()
        try:
            procedure = Procedure(
                name=name,
                snomed_code=self.chosen.snomed_code if self.chosen else None,
                attempts=attempts,
                successful=OUTCOMES[self.outcome],
                details=self.texts["details"].strip() or None,
            )
        except ValidationError as exc:
            self.errors = _field_errors(exc, {"name": "name", "details": "details"})
            return self._fail()
        self._journal.record(
            procedure, saved=message("procedure.saved", summary=procedure.summary(language.current)), at=at
        )
        self._drafts.delete(self._draft_id)
        self.texts = dict.fromkeys(self.TEXT_FIELDS, "")
        self.chosen, self.outcome = None, "unknown"
        self._changed()
        return True

    def done(self) -> list[tuple[datetime, str, str]]:
        """Procedures recorded in this journal: (time, text, performer), oldest first."""
        lines = [
            (revision.time, revision.value.summary(language.current), revision.entry.author.name)
            for revision, _fact in self._journal.state.current_entries("procedure")
            if isinstance(revision.value, Procedure)
        ]
        return sorted(lines, key=lambda line: line[0])


# --------------------------------------------------------------------------------------------- PASS

PASS_ITEMS: dict[str, Message] = {
    "loc_questions": message("pass.loc_questions"),
    "gaze": message("pass.gaze"),
    "arm_weakness": message("pass.arm_weakness"),
}
"""The PASS items in the table's order, worded through the catalogues (the English lines are the table's
labels; a test holds them together)."""


class StrokeScaleViewModel(Observable):
    """PASS (Prehospital Acute Stroke Severity): each of the three items tapped abnormal or normal; saved
    only with all three assessed (``StrokeScale`` has no "not assessed"). The preview is the journal's own
    ``score_pass`` with the journal's PASS table version: partial until all three are known, the large
    vessel occlusion verdict as soon as it is decided."""

    def __init__(self, *, journal: JournalViewModel) -> None:
        super().__init__()
        self._journal = journal
        self.findings: dict[str, bool | None] = dict.fromkeys(PASS_ITEMS, None)
        self.error: Message | None = None

    def saved(self) -> Message | None:
        return self._journal.last_saved

    def pick(self, item: str, abnormal: bool) -> None:
        """Abnormal (True) or normal (False); a second tap on the same answer takes it back."""
        if item not in PASS_ITEMS:
            raise ValueError(f"no such PASS item: {item!r}")
        self.findings[item] = None if self.findings[item] is abnormal else abnormal
        self.error = None
        self._changed()

    def result(self) -> PassResult:
        version = self._journal.state.derived.table_versions[ScoreName.PASS]
        return score_pass(
            table_version=version,
            loc_questions_abnormal=self.findings["loc_questions"],
            gaze_abnormal=self.findings["gaze"],
            arm_weakness=self.findings["arm_weakness"],
        )

    def preview(self) -> Message:
        result = self.result()
        verdict = PASS_VERDICTS[result.lvo_suspected]
        if result.total is None:
            missing = ", ".join(PASS_ITEMS[item.value].render() for item in result.missing)
            return message("pass.preview.partial", missing=missing, verdict=verdict)
        return message("pass.preview.complete", total=result.total, verdict=verdict)

    def submit(self) -> bool:
        missing = [label for item, label in PASS_ITEMS.items() if self.findings[item] is None]
        if missing:
            self.error = message("pass.error.missing", items=", ".join(m.render() for m in missing))
            self._changed()
            return False
        loc, gaze, arm = (self.findings[item] for item in PASS_ITEMS)
        scale = StrokeScale(loc_questions_abnormal=bool(loc), gaze_palsy=bool(gaze), arm_weakness=bool(arm))
        self._journal.record(scale, saved=message("pass.saved", summary=self.preview()))
        self.findings = dict.fromkeys(PASS_ITEMS, None)
        self._changed()
        return True


PASS_VERDICTS: dict[bool | None, Message] = {
    True: message("pass.verdict.lvo"),
    False: message("pass.verdict.no_lvo"),
    None: message("pass.verdict.undecided"),
}
