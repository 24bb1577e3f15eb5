"""Sample cases for ``spkms demo``: a few hundred, registered the real way."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.orm import Session

from plugins.cases import services
from plugins.cases.models import Case, CaseType, PartyRole
from portal.models import Court, OfficerCourt

logger = logging.getLogger(__name__)

DEMO_CASES = 240
TITLES = {
    "055": "Tuntutan perceraian",
    "018": "Tuntutan nafkah isteri",
    "024": "Tuntutan nafkah anak",
    "028": "Tuntutan hadhanah",
    "010": "Permohonan pengesahan nikah",
    "040": "Permohonan sijil faraid",
    "143": "Pertuduhan khalwat",
}


def add_demo_cases(session: Session, count: int = DEMO_CASES) -> int:
    """Register ``count`` cases through ``register_case`` unless some exist."""
    from plugins.parties.models import Party

    if session.scalar(sa.select(sa.func.count(Case.id))):
        return 0
    parties = session.scalars(
        sa.select(Party.id).where(Party.merged_into_id.is_(None))
    ).all()
    courts = session.scalars(sa.select(Court).where(Court.level == "rendah")).all()
    types = session.scalars(
        sa.select(CaseType).where(CaseType.code.in_(TITLES), CaseType.level == "rendah")
    ).all()
    clerks = session.execute(
        sa.select(OfficerCourt.user_id, OfficerCourt.court_id)
    ).all()
    if len(parties) < 2 or not courts or not types or not clerks:
        logger.warning("demo cases skipped: parties, courts, types or officers missing")
        return 0
    sm = current_app.appbuilder.sm
    chooser = random.Random(2026)  # noqa: S311  (demo data, not security)
    made = 0
    for index in range(count):
        user_id, home_court = chooser.choice(clerks)
        g.user = sm.get_user_by_id(user_id)
        g.pop("spkms_viewer", None)
        court = chooser.choice(courts)
        case_type = chooser.choice(types)
        first, second = chooser.sample(parties, 2)
        criminal = case_type.category == "jenayah"
        roles = (
            [PartyRole.ACCUSED]
            if criminal
            else [PartyRole.PLAINTIFF, PartyRole.DEFENDANT]
        )
        request = services.Registration(
            court_id=court.id,
            case_type_id=case_type.id,
            title=TITLES[case_type.code],
            parties=[
                services.PartyInput(role=role, party_id=pid)
                for role, pid in zip(roles, (first, second), strict=False)
            ],
            registered_by_id=user_id,
            registered_from_id=home_court,
            confidential=index % 25 == 0,
        )
        case = services.register_case(request)
        # Spread over this year so the numbers' year stays true.
        days_this_year = datetime.now(UTC).timetuple().tm_yday - 1
        case.registered_at -= timedelta(days=chooser.randint(0, days_this_year))
        session.commit()
        made += 1
    g.pop("user", None)
    logger.info("demo cases registered: %d", made)
    return made
