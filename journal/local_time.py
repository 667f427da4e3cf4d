"""Clock times as Danish staff read them.

Every stored time is timezone-aware (usually UTC). Text meant for people — summaries, ISBAR, the board —
shows the time of day in Danish time, so a handover never says "ETA 19:50" for a patient arriving at 20:50.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
"""Denmark's civil time (CET/CEST). Birthdays (CPR birth dates) also turn over at midnight in it."""


def clock(at: datetime) -> str:
    """``at`` as HH:MM in Danish time."""
    return f"{at.astimezone(DANISH_TIME):%H:%M}"
