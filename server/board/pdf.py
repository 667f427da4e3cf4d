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


def journal_pdf(*, view: PatientView, t: Translate, printed_at: dt.datetime) -> bytes:
    row = view.row
    pdf = FPDF(format="A4")
    pdf.set_title("PPJ")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(t("board.print_title")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    lines = [
        f"{t('board.patient')}: {row.patient or t('board.unknown_patient')}",
        f"{t('board.unit')}: {', '.join(row.units) or '-'}   {t('board.urgency')}: {row.urgency or '-'}",
        f"{t('board.eta')}: {_time(row.eta)}   {t('board.news2')}: {row.news2 or '-'}",
        f"{t('board.complaint')}: {row.chief_complaint or '-'}",
        f"{t('board.printed')}: {_time(printed_at)}",
    ]
    for line in lines:
        pdf.multi_cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, _latin1(t("board.isbar")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, _latin1(row.isbar), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, _latin1(t("board.timeline")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for item in view.timeline:
        estimated = " (~)" if item.estimated else ""
        who = f"{item.author}, {item.unit}" if item.unit else item.author
        text = f"{_time(item.at)}{estimated}  {item.title}: {item.summary}  [{who}]"
        pdf.multi_cell(0, 4.5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
