"""The print view and the PDF are pinned by golden files, so a change to what the ED prints is deliberate.

Built from the STEMI demo scenario (fixed day, published MedCom test person), in Danish and in English:
the print page's HTML reduced to its text lines, and the exact lines the PDF writes. To accept a
deliberate change, run with PPJ_UPDATE_GOLDEN=1 and review the diff of tests/server/golden/.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from pathlib import Path

import pytest

from journal.demo import scenarios
from journal.fold import fold
from journal.local_time import DANISH_TIME
from server.board.pdf import journal_pdf, pdf_lines
from server.board.view import view_of
from server.care.models import Journal
from server.i18n import translator
from server.web.templating import templates

GOLDEN = Path(__file__).parent / "golden"
PRINTED_AT = dt.datetime(2026, 11, 24, 10, 15, tzinfo=dt.UTC)


def _stemi_view(lang: str):  # type: ignore[no-untyped-def]
    stemi = next(s for s in scenarios() if s.name == "stemi")
    patient_journal = stemi.entries[0].journal_id
    entries = [e for e in stemi.entries if e.journal_id == patient_journal]
    journal = Journal(id=patient_journal, patient_cpr="2509479989")
    announced = ("pre_alert", dt.datetime(2026, 11, 24, 8, 19, tzinfo=dt.UTC))
    return view_of(journal=journal, state=fold(entries), announced=announced, lang=lang)


def _text_lines(page: str) -> str:
    """The page's visible text, one line per block, whitespace collapsed (markup changes do not count)."""
    body = re.sub(r"(?s)<head>.*?</head>", "", page)
    body = re.sub(r"<(br|/p|/tr|/h1|/h2|/pre|/li)\b[^>]*>", "\n", body)
    body = re.sub(r"</t[dh]>", " | ", body)
    text = html.unescape(re.sub(r"<[^>]+>", "", body))
    lines = (re.sub(r"\s+", " ", line).strip(" |") for line in text.splitlines())
    return "\n".join(line for line in lines if line) + "\n"


def _check(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PPJ_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs; see the module docstring"


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_print_view_matches_its_golden_text(lang: str) -> None:
    view = _stemi_view(lang)
    page = templates.env.get_template("board_print.html").render(
        t=translator(lang), lang=lang, view=view, row=view.row, tz=DANISH_TIME, now=PRINTED_AT
    )
    _check(f"board-print-stemi.{lang}.txt", _text_lines(page))


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_pdf_lines_match_their_golden_text_and_make_a_pdf(lang: str) -> None:
    view = _stemi_view(lang)
    lines = pdf_lines(view=view, t=translator(lang), printed_at=PRINTED_AT)
    _check(f"board-pdf-stemi.{lang}.txt", "".join(f"[{style}] {text}\n" for style, text in lines))
    assert journal_pdf(view=view, t=translator(lang), printed_at=PRINTED_AT).startswith(b"%PDF")
