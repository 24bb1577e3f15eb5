"""Sample collections for ``spkms demo``: a counter per court, a few receipts."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.orm import Session

from plugins.collections import services
from plugins.collections.models import Counter, PaymentMethod, Receipt
from portal.models import Court

logger = logging.getLogger(__name__)

DEMO_CASHIER = "juruwang.kt"


def add_demo_collections(session: Session) -> int:
    """Add counter K1 at every court and a few receipts at 11001 (idempotent)."""
    made = 0
    for court in session.scalars(sa.select(Court).order_by(Court.code)):
        code = f"{court.code}-K1"
        if session.scalar(sa.select(Counter.id).where(Counter.code == code)) is None:
            session.add(Counter(court_id=court.id, code=code, name="Kaunter 1"))
            made += 1
    session.commit()
    if session.scalar(sa.select(sa.func.count(Receipt.id))):
        return made
    sm = current_app.appbuilder.sm
    cashier = sm.find_user(username=DEMO_CASHIER)
    counter = session.scalar(sa.select(Counter).where(Counter.code == "11001-K1"))
    if cashier is None or counter is None:
        logger.warning("demo receipts skipped: cashier or counter 11001-K1 missing")
        return made
    g.user = cashier
    g.pop("spkms_viewer", None)
    samples = [
        (
            "Siti Aminah binti Abdullah",
            "850101-11-5002",
            PaymentMethod.CASH,
            None,
            [services.LineInput("SALINAN_DIAKUI", quantity=7)],
        ),
        (
            "Ahmad bin Ismail",
            "800202-11-5011",
            PaymentMethod.CARD,
            "APV0042",
            [services.LineInput("PERINTAH"), services.LineInput("PENYAMPAIAN")],
        ),
        (
            "Rohani binti Ali",
            "900303-11-5024",
            PaymentMethod.ONLINE,
            "FPX260001",
            [services.LineInput("AFIDAVIT", quantity=2)],
        ),
    ]
    for name, identity, method, reference, lines in samples:
        services.issue_receipt(
            services.ReceiptInput(
                counter_id=counter.id,
                payer_name=name,
                payer_identity=identity,
                method=method,
                lines=lines,
                reference=reference,
            ),
            cashier,
        )
        made += 1
    logger.info("demo collections: %d rows", made)
    return made
