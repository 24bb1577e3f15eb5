"""Stock-take (semakan stok): what a shelf holds against what it should hold.

The records officer scans every volume on a shelf; the report lists volumes
recorded there that were not scanned and scanned volumes recorded elsewhere.
It changes nothing: the officer follows it up with the movements it calls for.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from plugins.filetracking.models import CaseFile, FileLocation, FileState
from plugins.filetracking.services import normalise_label
from portal.extensions import db
from portal.security import access

logger = logging.getLogger(__name__)


@dataclass
class StockTake:
    """What a stock-take (semakan stok) of one location found.

    ``missing``: volumes recorded in place there that were not scanned.
    ``stray``: scanned volumes recorded somewhere else or as lent / in transit.
    ``unknown``: scanned codes that match no volume the officer may see.
    """

    location: FileLocation
    expected: list[CaseFile] = field(default_factory=list)
    found: list[CaseFile] = field(default_factory=list)
    missing: list[CaseFile] = field(default_factory=list)
    stray: list[CaseFile] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stray or self.unknown)


def _scanned_codes(labels: Iterable[str]) -> list[str]:
    codes: list[str] = []
    for raw in labels:
        code = normalise_label(raw)
        if code and code not in codes:
            codes.append(code)
    return codes


def stock_take(location: FileLocation, labels: Sequence[str]) -> StockTake:
    """Compare the labels scanned at ``location`` with what should be there.

    Changes nothing: the records officer follows the report up with the
    movements it calls for. The location itself must be in the officer's
    scope (``OutOfScope`` otherwise).
    """
    access.check(location, action="stocktake")
    expected = list(
        db.session.scalars(
            access.scoped(
                sa.select(CaseFile)
                .where(
                    CaseFile.location_id == location.id,
                    CaseFile.state == FileState.IN_PLACE,
                )
                .order_by(CaseFile.label),
                CaseFile,
            )
        )
    )
    codes = _scanned_codes(labels)
    found: list[CaseFile] = []
    if codes:
        found = list(
            db.session.scalars(
                access.scoped(
                    sa.select(CaseFile).where(CaseFile.label.in_(codes)), CaseFile
                )
            )
        )
    found_labels = {file.label for file in found}
    expected_ids = {file.id for file in expected}
    report = StockTake(
        location=location,
        expected=expected,
        found=sorted(found, key=lambda file: file.label),
        missing=[file for file in expected if file.label not in found_labels],
        stray=sorted(
            (file for file in found if file.id not in expected_ids),
            key=lambda file: file.label,
        ),
        unknown=[code for code in codes if code not in found_labels],
    )
    logger.info(
        "stock-take: location=%s expected=%d scanned=%d missing=%s stray=%s unknown=%d",
        location.id,
        len(expected),
        len(codes),
        [file.label for file in report.missing],
        [file.label for file in report.stray],
        len(report.unknown),
    )
    return report
