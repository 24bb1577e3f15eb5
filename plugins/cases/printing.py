"""Documents of the cases plugin that people print: the cause list and the
case summary.

The cause list (senarai sebutan dan bicara) is what the registry posts outside
each courtroom in the morning: every sitting of the court on one day, by time
and courtroom, with the case number, the parties, the kind of sitting and the
judge. Because it is posted where anyone can read it, a confidential case is
listed by its number only: its parties are never printed, whoever prints the
list. The officer printing must have the court in scope (the one access
check); a court outside it answers *not found*.

The case summary (ringkasan kes) is one case on paper for the file or the
bench. It is printed only for a case the officer may see (the access check
again), and a sealed document appears in it only as "sealed".

The functions here answer data and PDF bytes and take no request objects, so
the screens, a job or the CLI can all print.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from reportlab.platypus import Flowable, Spacer

from plugins.cases.models import (
    Case,
    CaseParty,
    Document,
    Hearing,
    HearingKind,
    PartyRole,
    Sealing,
)
from portal import printing
from portal.extensions import db
from portal.models import Court, Judge
from portal.security import access
from portal.timezone import state_zone, to_local

logger = logging.getLogger(__name__)

#: Printed instead of the parties of a confidential case.
CONFIDENTIAL_PARTIES = "Kes sulit: nama pihak tidak disiarkan"
#: Printed instead of a sealed document's type and file name.
SEALED_DOCUMENT = "Dokumen dimeterai"
#: The other side of a criminal case, which names no plaintiff.
PROSECUTION = "Pendakwa Syarie"
NO_COURTROOM = "Belum ditetapkan"


@dataclass(frozen=True)
class CauseListRow:
    """One sitting on the list, already in the court's local time."""

    starts_at: datetime
    courtroom: str
    case_id: int
    case_number: str
    parties: str
    confidential: bool
    kind: str
    judge: str


@dataclass(frozen=True)
class CauseList:
    """The sittings of one court (or one of its courtrooms) on one day."""

    court: Court
    day: date
    courtroom: str | None
    rows: list[CauseListRow]
    #: Every courtroom sitting that day, for the screen's choice of room.
    courtrooms: list[str]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """The day's first moment and the next day's, at the court, as aware times."""
    zone = state_zone()
    start = datetime.combine(day, time(), zone)
    return start, datetime.combine(day + timedelta(days=1), time(), zone)


def court_in_scope(court_code: str, *, action: str) -> Court:
    """The court with ``court_code`` if the viewer works there, else ``OutOfScope``.

    A court that does not exist and a court outside the viewer's scope answer
    the same, and the refusal is logged by the access check.
    """
    court = db.session.scalar(sa.select(Court).where(Court.code == court_code))
    allowed = access.allowed_court_ids()
    if court is None or (allowed is not None and court.id not in allowed):
        access.deny(
            Court.__tablename__, court_code, access.current_viewer(), action=action
        )
    assert court is not None
    return court


def _party_names(case_ids: list[int]) -> dict[int, str]:
    """ "A lwn B" per case: the opening side against the other, in filing order."""
    if not case_ids:
        return {}
    from plugins.parties.models import Party

    sides: dict[int, tuple[list[str], list[str]]] = {}
    rows = db.session.execute(
        sa.select(CaseParty.case_id, CaseParty.role, Party.full_name)
        .join(Party, Party.id == CaseParty.party_id)
        .where(CaseParty.case_id.in_(case_ids))
        .order_by(CaseParty.case_id, CaseParty.id)
    )
    for case_id, role, name in rows:
        opening, other = sides.setdefault(case_id, ([], []))
        (opening if role in PartyRole.OPENING else other).append(name)
    names = {}
    for case_id, (opening, other) in sides.items():
        first = ", ".join(opening) or (PROSECUTION if other else "")
        names[case_id] = f"{first} lwn {', '.join(other)}" if other else first
    return names


def cause_list(court: Court, day: date, courtroom: str | None = None) -> CauseList:
    """The sittings of ``court`` on ``day`` (local), by time and then courtroom.

    ``courtroom`` narrows the list to one room. A case closed before the day
    (withdrawn last week, say) is left off even if a sitting was still fixed.
    The caller has checked the court with ``court_in_scope``.
    """
    start, end = _day_bounds(day)
    query = (
        sa.select(Hearing, Case, Judge)
        .join(Case, Case.id == Hearing.case_id)
        .outerjoin(Judge, Judge.id == Case.judge_id)
        .where(
            Case.court_id == court.id,
            Hearing.starts_at >= start,
            Hearing.starts_at < end,
            sa.or_(Case.closed_at.is_(None), Case.closed_at >= start),
        )
        .order_by(Hearing.starts_at, Hearing.courtroom, Case.case_number)
    )
    found = db.session.execute(query).all()
    courtrooms = sorted(
        {(h.courtroom or "").strip() or NO_COURTROOM for h, _, _ in found}
    )
    if courtroom:
        found = [
            row
            for row in found
            if ((row[0].courtroom or "").strip() or NO_COURTROOM) == courtroom
        ]
    names = _party_names([case.id for _, case, _ in found if not case.confidential])
    rows = [
        CauseListRow(
            starts_at=to_local(hearing.starts_at),
            courtroom=(hearing.courtroom or "").strip() or NO_COURTROOM,
            case_id=case.id,
            case_number=case.case_number,
            parties=CONFIDENTIAL_PARTIES
            if case.confidential
            else names.get(case.id, ""),
            confidential=case.confidential,
            kind=HearingKind.LABELS.get(hearing.kind, hearing.kind),
            judge=str(judge) if judge is not None else "",
        )
        for hearing, case, judge in found
    ]
    logger.info(
        "cause list: court=%s day=%s courtroom=%s sittings=%d",
        court.code,
        day.isoformat(),
        courtroom or "*",
        len(rows),
    )
    return CauseList(court, day, courtroom, rows, courtrooms)


def cause_list_pdf(listing: CauseList) -> bytes:
    """The cause list as an A4 PDF, ready to post outside the courtroom."""
    subtitle = [printing.local_date(listing.day)]
    if listing.courtroom:
        subtitle.append(gettext("Bilik Bicara: %(room)s", room=listing.courtroom))
    grid = printing.table(
        [
            gettext("Bil."),
            gettext("Masa"),
            gettext("Bilik"),
            gettext("Nombor Kes"),
            gettext("Pihak"),
            gettext("Jenis"),
            gettext("Hakim"),
        ],
        [
            [
                str(number),
                f"{row.starts_at:%H:%M}",
                row.courtroom,
                row.case_number,
                row.parties,
                row.kind,
                row.judge,
            ]
            for number, row in enumerate(listing.rows, start=1)
        ],
        [0.045, 0.065, 0.08, 0.2, 0.34, 0.12, 0.15],
        empty=gettext("Tiada sebutan atau bicara pada tarikh ini."),
    )
    story: list[Flowable] = [grid]
    return printing.render_pdf(
        printing.PrintedDocument(
            title=gettext("Senarai Sebutan dan Bicara"),
            court_name=listing.court.name,
            subtitle=subtitle,
            story=story,
        )
    )


def case_for_summary(case_id: int) -> Case:
    """The case if the viewer may see it; ``OutOfScope`` (logged) otherwise."""
    case = db.session.get(Case, case_id)
    if case is None:
        access.deny(
            Case.__tablename__, case_id, access.current_viewer(), action="print"
        )
    assert case is not None
    access.check(case, action="print")
    return case


def _ringgit(sen: int | None) -> str:
    if sen is None:
        return ""
    return f"RM {sen // 100:,}.{sen % 100:02d}"


def _moment(value: datetime | None) -> str:
    return printing.malay_moment(value) if value is not None else ""


def summary_story(case: Case) -> list[Flowable]:
    """The body of the case summary: details, parties, sittings, documents."""
    details: list[tuple[str, Any]] = [
        ("Nombor Kes", case.case_number),
        ("Tajuk", case.title),
        ("Jenis Kes", f"{case.case_type.code} {case.case_type.name}"),
        ("Mahkamah", case.court.name),
        ("Status", case.status_label),
    ]
    if case.legacy_number:
        details.insert(1, ("Nombor Lama", case.legacy_number))
    if case.status_reason:
        details.append(("Sebab Status", case.status_reason))
    details.append(("Tarikh Daftar", _moment(case.registered_at)))
    if case.registered_from_id != case.court_id:
        details.append(("Didaftar Di", case.registered_from.name))
    if case.closed_at is not None:
        details.append(("Tarikh Selesai", _moment(case.closed_at)))
    details.append(("Hakim", str(case.judge) if case.judge else "Belum ditetapkan"))
    if case.claim_amount_sen is not None:
        details.append(("Amaun Tuntutan", _ringgit(case.claim_amount_sen)))
    details.append(("Fi Pendaftaran", _ringgit(case.fee_due_sen)))
    details.append(("Sulit", "Ya" if case.confidential else "Tidak"))

    parties = [
        [
            PartyRole.LABELS.get(link.role, link.role),
            link.party.full_name,
            f"{link.lawyer.name}"
            + (f", {link.lawyer.firm}" if link.lawyer.firm else "")
            if link.lawyer is not None
            else "Tiada",
        ]
        for link in case.parties
    ]
    hearings = [
        [
            _moment(hearing.starts_at),
            HearingKind.LABELS.get(hearing.kind, hearing.kind),
            hearing.courtroom or "",
            hearing.outcome or "",
        ]
        for hearing in case.hearings
    ]
    documents = [
        [str(number), SEALED_DOCUMENT, "", _moment(doc.created_at)]
        if doc.sealed != Sealing.NONE
        else [str(number), doc.doc_type, doc.filename, _moment(doc.created_at)]
        for number, doc in enumerate(
            db.session.scalars(
                sa.select(Document)
                .where(Document.case_id == case.id)
                .order_by(Document.created_at, Document.id)
            ),
            start=1,
        )
    ]
    gap = Spacer(1, 4)
    return [
        printing.pairs(details),
        printing.text("Pihak dan Peguam Syarie", "heading"),
        printing.table(
            ["Peranan", "Nama", "Peguam Syarie"], parties, [0.2, 0.45, 0.35]
        ),
        gap,
        printing.text("Sebutan dan Bicara", "heading"),
        printing.table(
            ["Tarikh & Masa", "Jenis", "Bilik", "Keputusan"],
            hearings,
            [0.25, 0.15, 0.15, 0.45],
            empty="Belum ada tarikh ditetapkan.",
        ),
        gap,
        printing.text("Dokumen", "heading"),
        printing.table(
            ["Bil.", "Jenis Dokumen", "Nama Fail", "Dimuat Naik"],
            documents,
            [0.07, 0.33, 0.35, 0.25],
            empty="Tiada dokumen.",
        ),
    ]


def case_summary_pdf(case: Case) -> bytes:
    """The case summary as an A4 PDF; a confidential case is marked SULIT."""
    logger.info("case summary printed: %s id=%s", case.case_number, case.id)
    return printing.render_pdf(
        printing.PrintedDocument(
            title="Ringkasan Kes",
            court_name=case.court.name,
            subtitle=[case.case_number],
            story=summary_story(case),
            marking="SULIT" if case.confidential else None,
        )
    )
