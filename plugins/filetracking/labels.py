"""The label sheet: an A4 page of stick-on labels for case-file volumes.

Each label carries the court's name, the case number, the volume and the
label code as text and as a QR code, which the records office's USB scanners
read back into the scan screen. The grid is the common 2 x 7 sheet of
99.1 x 38.1 mm labels; a state with other stationery changes the constants.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from plugins.filetracking.models import CaseFile

logger = logging.getLogger(__name__)

COLUMNS = 2
ROWS = 7
LABEL_WIDTH = 99.1 * mm
LABEL_HEIGHT = 38.1 * mm
LEFT_MARGIN = 4.65 * mm
TOP_MARGIN = 15.15 * mm
COLUMN_GAP = 2.5 * mm
PADDING = 3 * mm
QR_SIZE = LABEL_HEIGHT - 2 * PADDING


def _fit(text: str, font: str, size: float, width: float, canvas: Canvas) -> str:
    """``text`` shortened with an ellipsis until it fits ``width`` points."""
    if canvas.stringWidth(text, font, size) <= width:
        return text
    while text and canvas.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _draw_label(canvas: Canvas, file: CaseFile, x: float, y: float) -> None:
    """One label with its lower left corner at (``x``, ``y``)."""
    qr = QrCodeWidget(file.label, barLevel="M")
    left, bottom, right, top = qr.getBounds()
    drawing = Drawing(
        QR_SIZE,
        QR_SIZE,
        transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0],
    )
    drawing.add(qr)
    renderPDF.draw(drawing, canvas, x + PADDING, y + PADDING)
    text_x = x + PADDING + QR_SIZE + PADDING
    width = LABEL_WIDTH - (text_x - x) - PADDING
    line = y + LABEL_HEIGHT - PADDING - 9
    canvas.setFont("Helvetica", 7.5)
    canvas.drawString(
        text_x, line, _fit(file.court.name, "Helvetica", 7.5, width, canvas)
    )
    line -= 13
    canvas.setFont("Helvetica-Bold", 10)
    canvas.drawString(
        text_x, line, _fit(file.case.case_number, "Helvetica-Bold", 10, width, canvas)
    )
    line -= 13
    canvas.setFont("Helvetica", 9)
    canvas.drawString(text_x, line, f"Jilid {file.volume}")
    line -= 13
    canvas.setFont("Courier", 8)
    canvas.drawString(text_x, line, _fit(file.label, "Courier", 8, width, canvas))


def labels_pdf(files: Sequence[CaseFile]) -> bytes:
    """An A4 PDF of labels for ``files``, in the order given, 14 to a page.

    Page streams are left uncompressed: a sheet is a few kilobytes, and the
    codes stay searchable in the file (the tests read them back).
    """
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=0)
    canvas.setTitle("Label Fail Kes")
    canvas.setAuthor("SPKMS")
    _page_width, page_height = A4
    per_page = COLUMNS * ROWS
    for index, file in enumerate(files):
        if index and index % per_page == 0:
            canvas.showPage()
        slot = index % per_page
        row, column = divmod(slot, COLUMNS)
        x = LEFT_MARGIN + column * (LABEL_WIDTH + COLUMN_GAP)
        y = page_height - TOP_MARGIN - (row + 1) * LABEL_HEIGHT
        _draw_label(canvas, file, x, y)
    canvas.showPage()
    canvas.save()
    logger.info(
        "label sheet: %d label(s) %s", len(files), [file.label for file in files]
    )
    return buffer.getvalue()
