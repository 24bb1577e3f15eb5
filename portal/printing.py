"""What every printed document of the courts shares: the page, the letterhead,
Malay dates, and a few table and paragraph helpers.

Cause lists, case summaries, receipts and collection statements are A4 PDFs in
Malay that carry the court's name under the state crest on every page and say
on every page when they were printed. A plugin builds its document's body
(``story``, a list of ReportLab flowables) and hands it to ``render_pdf``; it
never draws its own letterhead. The crest is the image named by
``[printing].crest`` of the state profile (a path beside the profile), or a
plain placeholder ring when the state has not supplied one.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from flask import current_app
from flask_babel import format_date, get_locale, gettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from portal.timezone import to_local

logger = logging.getLogger(__name__)

MALAY_DAYS = ("Isnin", "Selasa", "Rabu", "Khamis", "Jumaat", "Sabtu", "Ahad")
MALAY_MONTHS = (
    "Januari",
    "Februari",
    "Mac",
    "April",
    "Mei",
    "Jun",
    "Julai",
    "Ogos",
    "September",
    "Oktober",
    "November",
    "Disember",
)

PAGE_WIDTH, PAGE_HEIGHT = A4
SIDE_MARGIN = 15 * mm
#: Room at the top of every page for the crest, court name and title.
LETTERHEAD_HEIGHT = 46 * mm
FOOTER_HEIGHT = 14 * mm
CREST_SIZE = 16 * mm
#: The width the body may use.
BODY_WIDTH = PAGE_WIDTH - 2 * SIDE_MARGIN

# TODO(fonts): the documents use the PDF standard fonts, which cover Latin
# script only; a name typed in Jawi prints as blank boxes. Embed a TrueType
# font with Arabic shaping once a state needs Jawi on paper.
FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"


def malay_date(day: date) -> str:
    """A date as the courts write it, with its weekday: ``Khamis, 3 Disember 2026``."""
    return f"{MALAY_DAYS[day.weekday()]}, {malay_date_short(day)}"


def local_date(day: date) -> str:
    """A date with its weekday in the reader's language: the courts' own Malay
    spelling (``malay_date``), or Babel's full English form."""
    locale = get_locale()
    if locale is None or locale.language == "ms":
        return malay_date(day)
    return format_date(day, format="full")


def malay_date_short(day: date) -> str:
    """A date without its weekday: ``3 Disember 2026``."""
    return f"{day.day} {MALAY_MONTHS[day.month - 1]} {day.year}"


def malay_month(year: int, month: int) -> str:
    """A month of a year: ``Disember 2026``."""
    return f"{MALAY_MONTHS[month - 1]} {year}"


def malay_moment(moment: datetime) -> str:
    """A stored moment in the state's time: ``3 Disember 2026, 09:30``."""
    local = to_local(moment)
    return f"{malay_date_short(local.date())}, {local:%H:%M}"


def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of the courts' documents, by name."""
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=10.5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9, leading=11),
        "cell_bold": ParagraphStyle(
            "cell_bold", parent=body, fontName=FONT_BOLD, fontSize=9, leading=11
        ),
        "heading": ParagraphStyle(
            "heading",
            parent=body,
            fontName=FONT_BOLD,
            fontSize=11,
            leading=14,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "centre": ParagraphStyle("centre", parent=body, alignment=TA_CENTER),
    }


def text(value: Any, style: str = "body") -> Paragraph:
    """A paragraph of plain text (markup characters are escaped, never parsed)."""
    return Paragraph(escape("" if value is None else str(value)), styles()[style])


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    empty: str = "Tiada rekod.",
) -> Table:
    """A ruled table whose header repeats on every page; cells wrap their text.

    Cells may be flowables already; anything else is printed as plain text.
    ``widths`` are fractions of the body width and should add up to 1.
    """
    head = [text(label, "cell_bold") for label in header]
    body = [
        [cell if isinstance(cell, Flowable) else text(cell, "cell") for cell in row]
        for row in rows
    ]
    if not body:
        body = [[text(empty, "cell")] + [""] * (len(header) - 1)]
    grid = Table(
        [head, *body], colWidths=[BODY_WIDTH * w for w in widths], repeatRows=1
    )
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4ebe5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if not rows:
        commands.append(("SPAN", (0, 1), (-1, 1)))
    grid.setStyle(TableStyle(commands))
    return grid


def pairs(rows: Sequence[tuple[str, Any]]) -> Table:
    """A two-column table of labels and values (the head of a summary)."""
    grid = Table(
        [[text(label, "cell_bold"), text(value, "cell")] for label, value in rows],
        colWidths=[BODY_WIDTH * 0.28, BODY_WIDTH * 0.72],
    )
    grid.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
            ]
        )
    )
    return grid


@dataclass
class PrintedDocument:
    """One document to print: whose it is, what it is called, and its body.

    ``subtitle`` lines go under the title on every page (the date of a cause
    list, say); ``marking`` is printed in red at the top corner of every page
    (``SULIT`` on a confidential case's papers).
    """

    title: str
    court_name: str
    story: list[Flowable]
    subtitle: list[str] = field(default_factory=list)
    marking: str | None = None


def crest_path() -> Path | None:
    """The state's crest image from ``[printing].crest``, if it names a file."""
    profile = current_app.extensions["spkms"].profile
    name = profile.section("printing").get("crest")
    if not name:
        return None
    path = profile.path.parent / str(name)
    if not path.is_file():
        logger.warning("crest image missing, printing a placeholder: %s", path)
        return None
    return path


def _draw_crest(canvas: Canvas, crest: Path | None, x: float, y: float) -> None:
    """The crest with its lower left corner at (``x``, ``y``), or a placeholder."""
    if crest is not None:
        canvas.drawImage(
            str(crest), x, y, CREST_SIZE, CREST_SIZE, preserveAspectRatio=True
        )
        return
    canvas.saveState()
    canvas.setStrokeColor(colors.grey)
    canvas.setLineWidth(0.8)
    radius = CREST_SIZE / 2
    canvas.circle(x + radius, y + radius, radius)
    canvas.setFont(FONT, 6)
    canvas.setFillColor(colors.grey)
    canvas.drawCentredString(x + radius, y + radius - 2, "JATA NEGERI")
    canvas.restoreState()


def render_pdf(document: PrintedDocument) -> bytes:
    """The document as an A4 PDF with the letterhead and footer on every page."""
    crest = crest_path()
    printed = malay_moment(datetime.now(UTC))
    buffer = io.BytesIO()

    def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        top = PAGE_HEIGHT - 10 * mm
        _draw_crest(canvas, crest, (PAGE_WIDTH - CREST_SIZE) / 2, top - CREST_SIZE)
        line = top - CREST_SIZE - 6 * mm
        canvas.setFont(FONT_BOLD, 12)
        canvas.drawCentredString(PAGE_WIDTH / 2, line, document.court_name.upper())
        line -= 6 * mm
        canvas.setFont(FONT_BOLD, 11)
        canvas.drawCentredString(PAGE_WIDTH / 2, line, document.title.upper())
        canvas.setFont(FONT, 9.5)
        for extra in document.subtitle:
            line -= 4.6 * mm
            canvas.drawCentredString(PAGE_WIDTH / 2, line, extra)
        if document.marking:
            canvas.setFillColor(colors.HexColor("#b00020"))
            canvas.setFont(FONT_BOLD, 14)
            canvas.drawRightString(
                PAGE_WIDTH - SIDE_MARGIN, top - 6 * mm, document.marking
            )
        canvas.setFillColor(colors.black)
        canvas.setStrokeColor(colors.grey)
        canvas.line(SIDE_MARGIN, FOOTER_HEIGHT, PAGE_WIDTH - SIDE_MARGIN, FOOTER_HEIGHT)
        canvas.setFont(FONT, 8)
        canvas.drawString(
            SIDE_MARGIN,
            FOOTER_HEIGHT - 4 * mm,
            gettext("Dicetak: %(when)s", when=printed),
        )
        canvas.drawRightString(
            PAGE_WIDTH - SIDE_MARGIN,
            FOOTER_HEIGHT - 4 * mm,
            gettext("Halaman %(page)s", page=doc.page),
        )
        canvas.restoreState()

    top_margin = LETTERHEAD_HEIGHT + 4.6 * mm * max(len(document.subtitle) - 1, 0)
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=SIDE_MARGIN,
        rightMargin=SIDE_MARGIN,
        topMargin=top_margin,
        bottomMargin=FOOTER_HEIGHT + 4 * mm,
        title=f"{document.title} - {document.court_name}",
        author="SPKMS",
    )
    template.build(document.story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
