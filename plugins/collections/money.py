"""Sen arithmetic shared by the portal and the offline counter (no database)."""

from __future__ import annotations


def cash_rounding(subtotal_sen: int) -> int:
    """The adjustment that rounds a cash total to the nearest 5 sen.

    Malaysia's rounding mechanism: a total ending in 1 or 2 (or 6, 7) sen goes
    down, one ending in 3 or 4 (or 8, 9) goes up. The adjustment is kept as a
    figure of its own on the receipt and in the statement, so the lines still
    add up to the subtotal.
    """
    remainder = subtotal_sen % 5
    return -remainder if remainder <= 2 else 5 - remainder


def ringgit(sen: int | None) -> str:
    """``RM1,234.50`` for screens and receipts (``-`` for nothing)."""
    if sen is None:
        return "-"
    sign = "-" if sen < 0 else ""
    whole, cents = divmod(abs(sen), 100)
    return f"{sign}RM{whole:,}.{cents:02d}"
