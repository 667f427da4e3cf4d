"""The one-time enrolment code shared by the server (issues and redeems it) and the tablet (refuses a text
that cannot be one before asking the server): its alphabet, length and normal form."""

from __future__ import annotations

import re

ENROLMENT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
ENROLMENT_CODE_LENGTH = 12  # 60 random bits: with a lifetime of minutes and one use, beyond guessing


def normalise_enrolment_code(text: str) -> str | None:
    """The code as stored (upper case, no spaces or hyphens), or None when the text cannot be a code."""
    code = re.sub(r"[\s-]", "", text).upper()
    if len(code) != ENROLMENT_CODE_LENGTH or any(c not in ENROLMENT_CODE_ALPHABET for c in code):
        return None
    return code


def grouped(code: str) -> str:
    """``ABCDEFGHJKLM`` → ``ABCD-EFGH-JKLM`` (as shown to the administrator and typed on the tablet)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
