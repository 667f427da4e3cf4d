"""What the journal screen shows of NEWS2: text, colour band, whether it applies.

The scores are ``journal.derived``'s (computed from the entries with the journal's recorded table
versions, never stored); this only picks the latest informative NEWS2 for the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from journal.derived import DerivedValues
from journal.scores.vocabulary import ScoreStatus, UiColour


@dataclass(frozen=True)
class News2View:
    display: str
    colour: UiColour
    applicable: bool


def news2_view(derived: DerivedValues) -> News2View:
    latest = derived.latest_news2
    if latest is None or latest.news2 is None:
        return News2View("NEWS2 — no vital signs yet", UiColour.NEUTRAL, True)
    result = latest.news2
    return News2View(result.display, result.colour, result.status is not ScoreStatus.NOT_APPLICABLE)
