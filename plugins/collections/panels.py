"""The collections plugin's dashboard panel: money taken by fee type.

Counted from the receipt lines of the chosen courts' counters, by business
day in the chosen year, leaving out cancelled receipts: the same lines the
collector's statement adds up, so the panel and the statements agree. Cash
rounding is not a fee type and is left out; the panel's totals are the fees.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from portal.dashboard import Panel, PanelData, Scope
from portal.extensions import db


def by_fee_type(scope: Scope) -> PanelData:
    """Receipts and ringgit per fee type for the chosen courts and year."""
    from plugins.collections.models import (
        FeeType,
        Receipt,
        ReceiptCancellation,
        ReceiptLine,
    )

    cancelled = sa.exists().where(ReceiptCancellation.receipt_id == Receipt.id)
    rows = db.session.execute(
        sa.select(
            FeeType.code,
            FeeType.name,
            sa.func.count(sa.distinct(Receipt.id)),
            sa.func.sum(ReceiptLine.amount_sen),
        )
        .join(ReceiptLine, ReceiptLine.fee_type_id == FeeType.id)
        .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .where(
            Receipt.court_id.in_(scope.court_ids),
            Receipt.business_date >= date(scope.year, 1, 1),
            Receipt.business_date <= date(scope.year, 12, 31),
            ~cancelled,
        )
        .group_by(FeeType.code, FeeType.name)
        .order_by(FeeType.code)
    ).all()
    return PanelData(
        columns=["Kod", "Jenis fi", "Resit", "Jumlah (RM)"],
        rows=[
            [code, name, receipts, round(int(sen or 0) / 100, 2)]
            for code, name, receipts, sen in rows
        ],
        label_columns=2,
        chart_columns=[3],
        chart="hbar",
        note="Resit yang dibatalkan tidak dikira; pelarasan tunai 5 sen tidak "
        "termasuk.",
    )


def panels() -> list[Panel]:
    """The panel this plugin adds through ``spkms_dashboard_panels``."""
    return [
        Panel(
            "collections.by_fee_type",
            "Kutipan mengikut jenis fi",
            by_fee_type,
            order=50,
        )
    ]
