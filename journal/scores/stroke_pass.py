"""PASS, the Prehospital Acute Stroke Severity scale (Copenhagen 2016).

Three NIHSS items, each 1 when abnormal: level-of-consciousness questions (month and age), gaze palsy or
deviation, arm weakness. A total at or above the table's cut-off (2) suggests a large vessel occlusion.

With an item not recorded the result is ``PARTIAL`` and has no total. The LVO suspicion is still given
when the items recorded already decide it — two abnormal items reach the cut-off whatever the third is,
and two normal items cannot — and is None when the missing item could change it.
"""

from __future__ import annotations

from typing import NamedTuple

from journal.scores.inputs import optional_bool
from journal.scores.registry import typed_table
from journal.scores.results import memoised
from journal.scores.table_schema import PassTable, TableRef
from journal.scores.vocabulary import PassItem, ScoreName, ScoreStatus, UiColour


class PassResult(NamedTuple):
    """One PASS derivation. ``findings`` maps each item to abnormal (True), normal (False) or not
    recorded (None). ``total`` exists only when COMPLETE; ``lvo_suspected`` whenever it is decided."""

    table: TableRef
    status: ScoreStatus
    findings: tuple[tuple[PassItem, bool | None], ...]
    missing: tuple[PassItem, ...]
    total: int | None
    lvo_suspected: bool | None
    colour: UiColour
    display: str


@memoised
def score_pass(
    *,
    table_version: str,
    loc_questions_abnormal: bool | None,
    gaze_abnormal: bool | None,
    arm_weakness: bool | None,
) -> PassResult:
    """PASS with the journal's table version. Raises ScoreInputError naming a non-boolean item."""
    table = typed_table(ScoreName.PASS, table_version, PassTable)
    given = {
        PassItem.LOC_QUESTIONS: optional_bool("loc_questions_abnormal", loc_questions_abnormal),
        PassItem.GAZE: optional_bool("gaze_abnormal", gaze_abnormal),
        PassItem.ARM_WEAKNESS: optional_bool("arm_weakness", arm_weakness),
    }
    findings = tuple((definition.item, given[definition.item]) for definition in table.items)
    missing = tuple(item for item, finding in findings if finding is None)
    points = {definition.item: definition.abnormal_points for definition in table.items}
    known_sum = sum(points[item] for item, finding in findings if finding)
    highest_possible = known_sum + sum(points[item] for item in missing)
    cut_off = table.positive_at_or_above
    lvo_suspected = True if known_sum >= cut_off else False if highest_possible < cut_off else None
    colour = {True: UiColour.RED, False: UiColour.GREEN, None: UiColour.NEUTRAL}[lvo_suspected]
    verdict = {
        True: "large vessel occlusion suspected",
        False: "no large vessel occlusion signal",
        None: "undecided",
    }[lvo_suspected]
    if missing:
        labels = {definition.item: definition.label for definition in table.items}
        missing_text = ", ".join(labels[item] for item in missing)
        return PassResult(
            table=table.ref,
            status=ScoreStatus.PARTIAL,
            findings=findings,
            missing=missing,
            total=None,
            lvo_suspected=lvo_suspected,
            colour=colour,
            display=f"PASS incomplete — missing {missing_text} ({verdict})",
        )
    return PassResult(
        table=table.ref,
        status=ScoreStatus.COMPLETE,
        findings=findings,
        missing=(),
        total=known_sum,
        lvo_suspected=lvo_suspected,
        colour=colour,
        display=f"PASS {known_sum}/{sum(points.values())} — {verdict}",
    )
