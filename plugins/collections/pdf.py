"""The official receipt (resit rasmi) as a PDF, in Malay.

The first print is the original; every later print carries "SALINAN" (copy)
across the page, so a reprint can never pass for a second payment. A
cancelled receipt prints "DIBATALKAN". Page streams stay uncompressed: the
receipt is small and its text stays searchable (tests read it back).
"""

from __future__ import annotations

import io
import logging

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from plugins.collections.models import Receipt
from plugins.collections.services import ringgit
from portal.timezone import show_local

logger = logging.getLogger(__name__)


def receipt_pdf(receipt: Receipt, *, copy: bool) -> bytes:
    """The receipt on an A5 page; ``copy`` marks a reprint "SALINAN"."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A5, pageCompression=0)
    canvas.setTitle(f"Resit {receipt.number}")
    canvas.setAuthor("SPKMS")
    width, height = A5
    left = 12 * mm
    right = width - 12 * mm
    y = height - 15 * mm
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawString(left, y, receipt.counter.court.name)
    y -= 6 * mm
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(left, y, "RESIT RASMI")
    canvas.drawRightString(right, y, f"No. {receipt.number}")
    y -= 8 * mm
    canvas.setFont("Helvetica", 9)
    details = [
        ("Tarikh", show_local(receipt.issued_at)),
        ("Kaunter", f"{receipt.counter.code} {receipt.counter.name}"),
        ("Diterima daripada", receipt.payer_name),
        ("No. Pengenalan", receipt.payer_identity),
        ("Nombor Kes", receipt.case.case_number if receipt.case else "-"),
        ("Cara Bayaran", receipt.method_label),
        ("Rujukan", receipt.reference or "-"),
    ]
    if receipt.offline:
        details.append(("Catatan", "Dikeluarkan di kaunter luar talian"))
    for label, value in details:
        canvas.drawString(left, y, f"{label}:")
        canvas.drawString(left + 35 * mm, y, value[:70])
        y -= 5 * mm
    y -= 3 * mm
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawString(left, y, "Kod Hasil")
    canvas.drawString(left + 20 * mm, y, "Perkara")
    canvas.drawRightString(right - 25 * mm, y, "Kuantiti")
    canvas.drawRightString(right, y, "Amaun")
    y -= 5 * mm
    canvas.setFont("Helvetica", 9)
    for line in receipt.lines:
        canvas.drawString(left, y, line.fee_type.revenue_code)
        canvas.drawString(left + 20 * mm, y, line.fee_type.name[:45])
        canvas.drawRightString(right - 25 * mm, y, str(line.quantity))
        canvas.drawRightString(right, y, ringgit(line.amount_sen))
        y -= 5 * mm
    y -= 2 * mm
    for label, sen in (
        ("Jumlah", receipt.subtotal_sen),
        ("Pelarasan Penggenapan", receipt.rounding_sen),
        ("Jumlah Dibayar", receipt.total_sen),
    ):
        canvas.drawRightString(right - 30 * mm, y, label)
        canvas.drawRightString(right, y, ringgit(sen))
        y -= 5 * mm
    y -= 4 * mm
    canvas.drawString(left, y, f"Juruwang: {receipt.cashier_name}")
    if copy or receipt.cancelled:
        mark = "DIBATALKAN" if receipt.cancelled else "SALINAN"
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 48)
        canvas.setFillGray(0.75)
        canvas.translate(width / 2, height / 2)
        canvas.rotate(35)
        canvas.drawCentredString(0, 0, mark)
        canvas.restoreState()
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawRightString(right, 10 * mm, mark)
    canvas.showPage()
    canvas.save()
    logger.info("receipt printed: %s copy=%s", receipt.number, copy)
    return buffer.getvalue()


def print_receipt(receipt: Receipt) -> bytes:
    """Print a receipt and count the print: the first is the original only.

    The count is bumped with one UPDATE, so two clerks printing at once still
    get one original between them.
    """
    import sqlalchemy as sa

    from portal.extensions import db

    before = db.session.execute(
        sa.update(Receipt)
        .where(Receipt.id == receipt.id)
        .values(print_count=Receipt.print_count + 1)
        .returning(Receipt.print_count)
    ).scalar_one()
    db.session.commit()
    return receipt_pdf(receipt, copy=before > 1)
