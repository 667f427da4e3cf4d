"""The journal as a PDF for the ED (fpdf2, pure Python; the built-in Helvetica covers Danish letters).

The PDF holds what the print view holds: patient, announcement, ISBAR, vitals and the timeline.
"""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF

from journal.local_time import DANISH_TIME
from server.board.view import PatientView
from server.i18n import Translate


def _latin1(text: str) -> str:
    # The core fonts are Latin-1: Danish letters are in it; dashes and symbols outside it are mapped.
    text = text.replace("—", "-").replace("–", "-").replace("≥", ">=").replace("≤", "<=").replace("→", "->")
    return text.encode("latin-1", "replace").decode("latin-1")


def _time(at: dt.datetime | None) -> str:
    return at.astimezone(DANISH_TIME).strftime("%Y-%m-%d %H:%M") if at else "-"


Line = tuple[str, str]
"""(style, text): style is ``title``, ``heading``, ``text`` or ``small``; text as the PDF holds it."""


def pdf_lines(*, view: PatientView, t: Translate, printed_at: dt.datetime) -> list[Line]:
    """Every line the PDF writes, in order (the print golden test pins these)."""
    row = view.row
    lines: list[Line] = [("title", t("board.print_title"))]
    lines += [
        ("text", f"{t('board.patient')}: {row.patient or t('board.unknown_patient')}"),
        (
            "text",
            f"{t('board.unit')}: {', '.join(row.units) or '-'}   {t('board.urgency')}: {row.urgency or '-'}",
        ),
        ("text", f"{t('board.eta')}: {_time(row.eta)}   {t('board.news2')}: {row.news2 or '-'}"),
        ("text", f"{t('board.complaint')}: {row.chief_complaint or '-'}"),
        ("text", f"{t('board.printed')}: {_time(printed_at)}"),
        ("heading", t("board.isbar")),
        ("text", row.isbar),
        ("heading", t("board.timeline")),
    ]
    for item in view.timeline:
        estimated = " (~)" if item.estimated else ""
        who = f"{item.author}, {item.unit}" if item.unit else item.author
        lines.append(("small", f"{_time(item.at)}{estimated}  {item.title}: {item.summary}  [{who}]"))
    return [(style, _latin1(text)) for style, text in lines]


_STYLES = {"title": ("B", 16, 10.0), "heading": ("B", 12, 7.0), "text": ("", 10, 5.0), "small": ("", 9, 4.5)}


def journal_pdf(*, view: PatientView, t: Translate, printed_at: dt.datetime) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title("PPJ")
    pdf.add_page()
    for style, text in pdf_lines(view=view, t=t, printed_at=printed_at):
        if style == "heading":
            pdf.ln(3)
        weight, size, height = _STYLES[style]
        pdf.set_font("Helvetica", weight, size)
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
