"""The allocation plugin's dashboard panel: each judge's weighted load today.

The numbers are ``services.workload`` of each chosen court, the same the
allocation strategies and the workload screen use; nothing is counted again
here. A judge who covers two courts appears under each, with the load of all
the courts they hear at.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.dashboard import Panel, PanelData, Scope
from portal.extensions import db
from portal.models import Court


def judges_load(scope: Scope) -> PanelData:
    """Open cases and weighted load per judge of each chosen court."""
    from plugins.allocation import services

    courts = db.session.scalars(
        sa.select(Court).where(Court.id.in_(scope.court_ids)).order_by(Court.code)
    )
    rows = [
        [court.code, row.judge, row.open_cases, row.load]
        for court in courts
        for row in services.workload(db.session, court.id)
    ]
    return PanelData(
        columns=["Mahkamah", "Hakim", "Kes terbuka", "Beban berwajaran"],
        rows=rows,
        label_columns=2,
        chart="hbar",
        note="Beban semasa (hari ini), tidak bergantung pada tahun yang dipilih.",
    )


def panels() -> list[Panel]:
    """The panel this plugin adds through ``spkms_dashboard_panels``."""
    return [Panel("allocation.judges_load", "Beban kerja hakim", judges_load, order=40)]
