"""GCS entry: eye, verbal and motor picked from the published descriptors (Teasdale 1974), saved as raw items.

The journal stores the raw items only (``GcsItems``); the total is never typed nor stored — the preview
and the journal screen show what ``journal.scores`` computes with the journal's recorded GCS table version,
through the same input mapping as ``journal.derived`` (``gcs_inputs``), so the preview is what the
journal will show.

A component that cannot be tested is chosen as such, as the journal models it: eyes closed by swelling
(``eye_qualifier`` "C"), verbal intubated ("T") or aphasic ("A"), motor not testable because the patient
is paralysed (``paralysed``); "sedated" qualifies the whole assessment. Any of them means no numeric total.

Rule (hazard H-TABCL-1): a GCS is saved only with all three components assessed (a number or "not
testable"); otherwise the save is refused naming the missing components, and nothing that was picked is
cleared. A successful save empties the picks (the next GCS starts afresh).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from journal.derived import gcs_inputs
from journal.kinds.observations import GcsItems
from journal.scores import ScoreName, score_gcs
from tablet_app.i18n import Message, message
from tablet_app.observable import Observable
from tablet_app.viewmodels.patient_journal import JournalViewModel
from tablet_app.viewmodels.scores import gcs_result_text

Component = Literal["eye", "verbal", "motor"]
COMPONENTS: tuple[Component, ...] = ("eye", "verbal", "motor")
GcsPick = int | str


@dataclass(frozen=True)
class GcsChoice:
    component: Component
    value: GcsPick
    label: Message
    """The descriptor, e.g. "4 — spontaneous" (``gcs.eye.4``)."""


def _choices(component: Component, labels: dict[GcsPick, Message]) -> tuple[GcsChoice, ...]:
    return tuple(GcsChoice(component, value, label) for value, label in labels.items())


CHOICES: dict[Component, tuple[GcsChoice, ...]] = {
    "eye": _choices(
        "eye",
        {
            4: message("gcs.eye.4"),
            3: message("gcs.eye.3"),
            2: message("gcs.eye.2"),
            1: message("gcs.eye.1"),
            "C": message("gcs.eye.closed"),
        },
    ),
    "verbal": _choices(
        "verbal",
        {
            5: message("gcs.verbal.5"),
            4: message("gcs.verbal.4"),
            3: message("gcs.verbal.3"),
            2: message("gcs.verbal.2"),
            1: message("gcs.verbal.1"),
            "T": message("gcs.verbal.intubated"),
            "A": message("gcs.verbal.aphasia"),
        },
    ),
    "motor": _choices(
        "motor",
        {
            6: message("gcs.motor.6"),
            5: message("gcs.motor.5"),
            4: message("gcs.motor.4"),
            3: message("gcs.motor.3"),
            2: message("gcs.motor.2"),
            1: message("gcs.motor.1"),
            "NT": message("gcs.motor.not_testable"),
        },
    ),
}
"""Highest first (as the scale is read), then the "not testable" choices the journal can record."""


COMPONENT_LABELS: dict[Component, Message] = {
    "eye": message("gcs.eye"),
    "verbal": message("gcs.verbal"),
    "motor": message("gcs.motor"),
}


class GcsEntryViewModel(Observable):
    def __init__(self, journal: JournalViewModel) -> None:
        super().__init__()
        self._journal = journal
        self.picks: dict[Component, GcsPick] = {}
        self.sedated = False
        self.error: Message | None = None

    def pick(self, component: Component, value: GcsPick) -> None:
        if not any(choice.value == value for choice in CHOICES[component]):
            raise ValueError(f"{component}: {value!r} is not a GCS {component} choice")
        self.picks[component] = value
        self.error = None
        self._changed()

    def toggle_sedated(self) -> None:
        self.sedated = not self.sedated
        self._changed()

    def items(self) -> GcsItems:
        """The raw items picked so far (a component not picked is None)."""
        eye, verbal, motor = (self.picks.get(c) for c in COMPONENTS)
        return GcsItems(
            eye=eye if isinstance(eye, int) else None,
            eye_qualifier="C" if eye == "C" else None,
            verbal=verbal if isinstance(verbal, int) else None,
            verbal_qualifier="T" if verbal == "T" else "A" if verbal == "A" else None,
            motor=motor if isinstance(motor, int) else None,
            paralysed=motor == "NT",
            sedated=self.sedated,
        )

    def preview(self) -> Message:
        """What the journal will show for these picks: the total only when all three are numbers."""
        if not self.picks:
            return message("score.gcs.none")
        inputs, _caveats = gcs_inputs(self.items())
        version = self._journal.state.derived.table_versions[ScoreName.GCS]
        return gcs_result_text(score_gcs(table_version=version, **inputs))

    def save(self) -> bool:
        missing = [c for c in COMPONENTS if c not in self.picks]
        if missing:
            self.error = message("gcs.missing", components=tuple(COMPONENT_LABELS[c] for c in missing))
            self._changed()
            return False
        self._journal.record_gcs(self.items())
        self.picks = {}
        self.sedated = False
        self.error = None
        self._changed()
        return True
