"""Public e-filing (e-Failing): cases filed online, accepted or returned.

A member of the public files a case at a district court without logging in.
The filing waits, owned by that court, until one of its registrars accepts it
(the case is then registered through ``services.register_case`` and linked to
the filing, in one transaction) or returns it with a reason. The applicant is
given a reference: a random code that says nothing by itself, because the
public status answer (``public_status``) needs it together with the
applicant's identity number.

Like ``services``, the functions here are free of request objects: every
refusal raises ``CaseError(field, rule)`` and leaves nothing written.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from flask_appbuilder import Model
from flask_babel import lazy_gettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugins.cases.models import Case, CaseType, PartyRole
from plugins.cases.services import (
    CaseError,
    PartyInput,
    Registration,
    register_case,
    registrars_of,
)
from portal.extensions import db
from portal.i18n import N_
from portal.models import Court, CourtOwned, Timestamped, utcnow
from portal.security import access

if TYPE_CHECKING:
    from plugins.parties.identity import Identity

logger = logging.getLogger(__name__)

#: The court level that takes e-filings unless the profile's ``[efiling]``
#: section names another (``level = "..."``).
DEFAULT_LEVEL = "rendah"
#: How a mal case must start to be filed online.
ONLINE_STARTS = frozenset({"permohonan", "tuntutan"})
#: Reference characters: no 0/O or 1/I, so a reference read out is not misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REFERENCE_PREFIX = "EF"
#: Eight characters of 32: about 10**12 references, so guessing one is hopeless.
REFERENCE_LENGTH = 8

#: What ``submit_efiling`` accepts, in the order the form asks for it.
FIELDS = (
    "court_id",
    "case_type_id",
    "title",
    "summary",
    "applicant_name",
    "applicant_identity_type",
    "applicant_identity_number",
    "applicant_nationality",
    "applicant_phone",
    "applicant_email",
    "respondent_name",
    "respondent_identity_type",
    "respondent_identity_number",
    "respondent_nationality",
)

#: Malay labels of the fields, for the public form and the registrar's screen.
LABELS = {
    "reference": N_("Rujukan e-Failing"),
    "court_id": N_("Mahkamah"),
    "court": N_("Mahkamah"),
    "case_type_id": N_("Jenis Kes"),
    "case_type": N_("Jenis Kes"),
    "title": N_("Tajuk"),
    "summary": N_("Ringkasan"),
    "applicant_name": N_("Nama Pemohon"),
    "applicant_identity_type": N_("Jenis Pengenalan Pemohon"),
    "applicant_identity_number": N_("No. Pengenalan Pemohon"),
    "applicant_identity_display": N_("No. Pengenalan Pemohon"),
    "applicant_nationality": N_("Warganegara Pemohon"),
    "applicant_phone": N_("No. Telefon"),
    "applicant_email": N_("E-mel"),
    "respondent_name": N_("Nama Responden"),
    "respondent_identity_type": N_("Jenis Pengenalan Responden"),
    "respondent_identity_number": N_("No. Pengenalan Responden"),
    "respondent_identity_display": N_("No. Pengenalan Responden"),
    "respondent_nationality": N_("Warganegara Responden"),
    "state": N_("Keadaan"),
    "state_label": N_("Keadaan"),
    "return_reason": N_("Sebab Dikembalikan"),
    "decided_by": N_("Diputuskan Oleh"),
    "decided_at": N_("Tarikh Keputusan"),
    "case": N_("Kes"),
    "created_at": N_("Tarikh Dihantar"),
}


class EFilingState:
    """Where a filing stands: waiting, accepted as a case, or returned."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    LABELS = {
        SUBMITTED: N_("Dihantar, menunggu semakan"),
        ACCEPTED: N_("Diterima"),
        RETURNED: N_("Dikembalikan"),
    }


class EFiling(CourtOwned, Timestamped, Model):
    """A case filed online by a member of the public (e-Failing).

    Owned by the district court it was filed at, so only that court's
    registrars (and statewide officers) see it. ``reference`` is what the
    applicant quotes; identity numbers are stored canonical, as the parties
    plugin keeps them, so acceptance finds the same people again.
    ``created_at`` is the moment of filing.
    """

    __tablename__ = "efiling"
    __versioned__: dict[str, Any] = {}

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    case_type_id: Mapped[int] = mapped_column(
        sa.ForeignKey("case_type.id"), nullable=False
    )
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    summary: Mapped[str | None] = mapped_column(sa.Text)
    applicant_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    applicant_identity_type: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    applicant_identity_number: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, index=True
    )
    applicant_nationality: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    applicant_phone: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    applicant_email: Mapped[str | None] = mapped_column(sa.String(200))
    respondent_name: Mapped[str | None] = mapped_column(sa.String(200))
    respondent_identity_type: Mapped[str | None] = mapped_column(sa.String(10))
    respondent_identity_number: Mapped[str | None] = mapped_column(sa.String(20))
    respondent_nationality: Mapped[str | None] = mapped_column(sa.String(3))
    state: Mapped[str] = mapped_column(
        sa.String(10), nullable=False, default=EFilingState.SUBMITTED, index=True
    )
    return_reason: Mapped[str | None] = mapped_column(sa.String(500))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    case_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("court_case.id"), unique=True
    )

    case_type: Mapped[CaseType] = relationship()
    decided_by: Mapped[Any] = relationship("User", foreign_keys=[decided_by_id])
    case: Mapped[Case | None] = relationship(foreign_keys=[case_id])

    @property
    def state_label(self) -> str:
        return EFilingState.LABELS.get(self.state, self.state)

    @property
    def applicant_identity_display(self) -> str:
        return _display(self.applicant_identity_type, self.applicant_identity_number)

    @property
    def respondent_identity_display(self) -> str:
        return _display(self.respondent_identity_type, self.respondent_identity_number)

    def __repr__(self) -> str:
        return self.reference


def _display(identity_type: str | None, number: str | None) -> str:
    from plugins.parties.identity import display_number

    return display_number(identity_type, number)


# --- what may be filed online ------------------------------------------------


def _profile() -> Any:
    return current_app.extensions["spkms"].profile


def efiling_level() -> str:
    """The court level that takes e-filings (the profile may name another)."""
    return str(_profile().section("efiling").get("level", DEFAULT_LEVEL))


def efiling_courts() -> list[Court]:
    """Active courts that take e-filings, by code (the form's choices)."""
    return list(
        db.session.scalars(
            sa.select(Court)
            .where(Court.active, Court.level == efiling_level())
            .order_by(Court.code)
        )
    )


def online_case_types() -> list[CaseType]:
    """Active mal case types of the e-filing level that open as a permohonan or
    tuntutan: the only ones a member of the public may file without a clerk."""
    return list(
        db.session.scalars(
            sa.select(CaseType)
            .where(
                CaseType.active,
                CaseType.level == efiling_level(),
                CaseType.category == "mal",
                CaseType.started_by.in_(sorted(ONLINE_STARTS)),
            )
            .order_by(CaseType.code)
        )
    )


# --- checking what was filed -------------------------------------------------


def _record_id(value: Any) -> int | None:
    """A form's or caller's id as an int, or ``None`` when it is not one."""
    if isinstance(value, bool):
        return None
    # Nine digits at most: a longer number is no row id, and PostgreSQL would
    # refuse to compare it with an integer column.
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _as_case_error(exc: ValueError, prefix: str = "") -> CaseError:
    """A ``PartyError`` of the parties plugin, renamed to this form's field."""
    field = getattr(exc, "field", "value")
    rule = getattr(exc, "rule", str(exc))
    return CaseError(f"{prefix}{field}", rule)


def _text(
    field: str, value: Any, *, max_length: int, required: bool = False
) -> str | None:
    from plugins.parties.services import PartyError, clean_text

    try:
        return clean_text(field, value, max_length=max_length, required=required)
    except PartyError as exc:
        raise _as_case_error(exc) from None


def _name(field: str, value: Any) -> str:
    from plugins.parties.services import PartyError, clean_name

    try:
        return clean_name(field, value)
    except PartyError as exc:
        raise _as_case_error(exc) from None


def _summary(value: Any) -> str | None:
    """Free text over several lines: like ``_text`` but keeping line breaks."""
    text = str(value or "").replace("\r\n", "\n").strip()
    if not text:
        return None
    for line in text.split("\n"):
        _text("summary", line, max_length=2000)
    if len(text) > 2000:
        raise CaseError("summary", "must be at most 2000 characters")
    return text


def identity_of(prefix: str, fields: dict[str, Any]) -> Identity:
    """The checked identity in ``fields`` under ``prefix`` (``applicant_``,
    ``respondent_`` or none), as the parties plugin parses it; a refusal is a
    ``CaseError`` naming the prefixed field."""
    from plugins.parties.services import PartyError, parse

    try:
        return parse(
            fields.get(f"{prefix}identity_type") or "mykad",
            fields.get(f"{prefix}identity_number"),
            fields.get(f"{prefix}nationality") or None,
        )
    except PartyError as exc:
        raise _as_case_error(exc, prefix) from None


def _court(value: Any) -> Court:
    court_id = _record_id(value)
    court = db.session.get(Court, court_id) if court_id else None
    if court is None or not court.active:
        raise CaseError("court_id", "is not an active court of this state")
    level = efiling_level()
    if court.level != level:
        level_name = _profile().levels.get(level, level)
        raise CaseError(
            "court_id",
            f"{court.name} does not take e-filings: only courts of the {level_name} do",
        )
    return court


def _case_type(value: Any) -> CaseType:
    type_id = _record_id(value)
    case_type = db.session.get(CaseType, type_id) if type_id else None
    if case_type is None or not case_type.active:
        raise CaseError("case_type_id", "is not a known, active case type")
    label = f"{case_type.code} {case_type.name}"
    if case_type.level != efiling_level():
        raise CaseError(
            "case_type_id",
            f"{label} is heard at the {case_type.level} level, which does not"
            " take e-filings",
        )
    if case_type.category != "mal" or case_type.started_by not in ONLINE_STARTS:
        raise CaseError(
            "case_type_id",
            f"{label} cannot be filed online: only mal cases that start as a"
            " permohonan or a tuntutan can",
        )
    return case_type


def clean_efiling(fields: dict[str, Any]) -> dict[str, Any]:
    """Every field of a filing, checked, as column values; writes nothing.

    Raises ``CaseError`` naming the first field that breaks a rule.
    """
    from plugins.parties.services import PartyError, clean_email, clean_phone

    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise CaseError(unknown[0], "is not a field of an e-filing")
    court = _court(fields.get("court_id"))
    case_type = _case_type(fields.get("case_type_id"))
    title = _text("title", fields.get("title"), max_length=300, required=True)
    summary = _summary(fields.get("summary"))
    applicant_name = _name("applicant_name", fields.get("applicant_name"))
    applicant = identity_of("applicant_", fields)
    try:
        phone = clean_phone(fields.get("applicant_phone"))
        email = clean_email(fields.get("applicant_email"))
    except PartyError as exc:
        raise _as_case_error(exc, "applicant_") from None
    if phone is None:
        raise CaseError("applicant_phone", "is required")
    values: dict[str, Any] = {
        "court_id": court.id,
        "case_type_id": case_type.id,
        "title": title,
        "summary": summary,
        "applicant_name": applicant_name,
        "applicant_identity_type": applicant.identity_type,
        "applicant_identity_number": applicant.number,
        "applicant_nationality": applicant.nationality,
        "applicant_phone": phone,
        "applicant_email": email,
    }
    # The respondent is optional, but one who is named must be identifiable:
    # acceptance makes them a party, and a party is found by identity number.
    if any(
        str(fields.get(key) or "").strip()
        for key in ("respondent_name", "respondent_identity_number")
    ):
        respondent_name = _name("respondent_name", fields.get("respondent_name"))
        respondent = identity_of("respondent_", fields)
        if (respondent.identity_type, respondent.number) == (
            applicant.identity_type,
            applicant.number,
        ):
            raise CaseError(
                "respondent_identity_number", "must differ from the applicant's"
            )
        values.update(
            respondent_name=respondent_name,
            respondent_identity_type=respondent.identity_type,
            respondent_identity_number=respondent.number,
            respondent_nationality=respondent.nationality,
        )
    return values


# --- filing, accepting, returning --------------------------------------------


def new_reference() -> str:
    """A fresh random reference such as ``EF-7KQ2-M9XD``."""
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    half = REFERENCE_LENGTH // 2
    return f"{REFERENCE_PREFIX}-{code[:half]}-{code[half:]}"


def normalise_reference(text: str | None) -> str | None:
    """A reference as typed (any case, dashes or spaces or none) in its stored
    form, or ``None`` when it cannot be one."""
    compact = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    body = compact.removeprefix(REFERENCE_PREFIX)
    if len(compact) - len(body) != len(REFERENCE_PREFIX):
        return None
    if len(body) != REFERENCE_LENGTH or set(body) - set(REFERENCE_ALPHABET):
        return None
    half = REFERENCE_LENGTH // 2
    return f"{REFERENCE_PREFIX}-{body[:half]}-{body[half:]}"


def _unused_reference() -> str:
    for _attempt in range(5):
        reference = new_reference()
        taken = db.session.scalar(
            sa.select(EFiling.id).where(EFiling.reference == reference)
        )
        if taken is None:
            return reference
    # Five clashes in a space of 10**12 mean the generator is broken.
    raise RuntimeError("no unused e-filing reference after 5 attempts")


def submit_efiling(**fields: Any) -> EFiling:
    """File a case online and commit; return the filing with its reference.

    Checks every field (``clean_efiling``) and tells the court's registrars in
    their inbox, in the same transaction, so the notice exists exactly when
    the filing does. A refusal raises ``CaseError`` and writes nothing.
    """
    from portal.notifications import notify

    session = db.session
    try:
        values = clean_efiling(fields)
        filing = EFiling(
            reference=_unused_reference(), state=EFilingState.SUBMITTED, **values
        )
        session.add(filing)
        session.flush()
        notify(
            registrars_of(filing.court_id),
            subject=lazy_gettext(
                "e-Failing baharu %(reference)s", reference=filing.reference
            ),
            body=f"{filing.case_type.code} {filing.case_type.name}: {filing.title}",
            link=f"/efilings/show/{filing.id}",
        )
        session.commit()
    except Exception:
        session.rollback()
        raise
    logger.info(
        "efiling submitted: ref=%s id=%s court=%s type=%s",
        filing.reference,
        filing.id,
        filing.court_id,
        filing.case_type_id,
    )
    return filing


def _locked_for_decision(filing: EFiling, verb: str) -> EFiling:
    """The filing re-read under a row lock, refused unless it still waits.

    Two registrars deciding at once queue on the lock (PostgreSQL) or the
    write lock taken at ``BEGIN`` (SQLite); the second sees the first's answer.
    """
    fresh = db.session.scalar(
        sa.select(EFiling)
        .where(EFiling.id == filing.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if fresh is None:
        raise CaseError("efiling", "no longer exists")
    if fresh.state != EFilingState.SUBMITTED:
        done = fresh.state_label.lower()
        if fresh.case is not None:
            done = f"{done} as case {fresh.case.case_number}"
        raise CaseError("state", f"this e-filing was already {done}; cannot {verb}")
    return fresh


def _parties_of(filing: EFiling) -> list[PartyInput]:
    """The applicant and, when named, the respondent, in the case type's roles."""
    application = filing.case_type.started_by == "permohonan"
    opening = PartyRole.APPLICANT if application else PartyRole.PLAINTIFF
    answering = PartyRole.RESPONDENT if application else PartyRole.DEFENDANT
    applicant_details = {
        "full_name": filing.applicant_name,
        "phone": filing.applicant_phone,
        "email": filing.applicant_email,
        "keyed_at_court_id": filing.court_id,
    }
    parties = [
        PartyInput(
            role=opening,
            identity_type=filing.applicant_identity_type,
            identity_number=filing.applicant_identity_number,
            nationality=filing.applicant_nationality,
            details={k: v for k, v in applicant_details.items() if v is not None},
        )
    ]
    if filing.respondent_identity_number:
        parties.append(
            PartyInput(
                role=answering,
                identity_type=filing.respondent_identity_type or "mykad",
                identity_number=filing.respondent_identity_number,
                nationality=filing.respondent_nationality,
                details={
                    "full_name": filing.respondent_name,
                    "keyed_at_court_id": filing.court_id,
                },
            )
        )
    return parties


def _register_linked(filing: EFiling, registration: Registration) -> Case:
    """``register_case``, with the new case tied to ``filing`` in its transaction.

    ``register_case`` commits by itself; the link is set while it flushes the
    new case, so the case and the accepted filing commit (or roll back)
    together.
    """
    # TODO(register_case has no callback): a ``Registration`` field called
    # with the new case before the commit would replace this session listener.
    session = db.session()

    def link(flushing: Any, _context: Any, _instances: Any) -> None:
        for item in flushing.new:
            if isinstance(item, Case) and filing.case is None:
                filing.case = item

    sa.event.listen(session, "before_flush", link)
    try:
        return register_case(registration)
    finally:
        sa.event.remove(session, "before_flush", link)


def accept_efiling(efiling: EFiling, registrar_user_id: int) -> Case:
    """Register the filing as a case and link them, in one transaction.

    The applicant becomes the pemohon (or plaintif, by the case type's
    ``started_by``) and a named respondent the responden (or defendan), each
    found by identity number or keyed now. When registration is refused the
    whole transaction rolls back, the filing stays submitted, and the
    ``CaseError`` says why. Raises ``OutOfScope`` for a filing the officer may
    not see.
    """
    session = db.session
    try:
        access.check(efiling, action="accept")
        filing = _locked_for_decision(efiling, "accept it")
        filing.state = EFilingState.ACCEPTED
        filing.decided_by_id = registrar_user_id
        filing.decided_at = utcnow()
        filing.return_reason = None
        registration = Registration(
            court_id=filing.court_id,
            case_type_id=filing.case_type_id,
            title=filing.title,
            parties=_parties_of(filing),
            registered_by_id=registrar_user_id,
            registered_from_id=filing.court_id,
        )
        case = _register_linked(filing, registration)
    except Exception:
        session.rollback()
        raise
    # TODO(applicant e-mail): tell the applicant the case number by e-mail or
    # SMS; until then they learn it from the public status page.
    logger.info(
        "efiling accepted: ref=%s id=%s case=%s by=%s",
        filing.reference,
        filing.id,
        case.case_number,
        registrar_user_id,
    )
    return case


def return_efiling(
    efiling: EFiling, reason: str | None, registrar_user_id: int
) -> EFiling:
    """Return the filing to the applicant with a reason, and commit.

    Raises ``CaseError`` when the reason is missing or the filing was already
    decided, ``OutOfScope`` for a filing the officer may not see.
    """
    session = db.session
    try:
        access.check(efiling, action="return")
        text = _text("return_reason", reason, max_length=500, required=True)
        filing = _locked_for_decision(efiling, "return it")
        filing.state = EFilingState.RETURNED
        filing.return_reason = text
        filing.decided_by_id = registrar_user_id
        filing.decided_at = utcnow()
        session.commit()
    except Exception:
        session.rollback()
        raise
    # TODO(applicant e-mail): send the reason to the applicant; until then they
    # read it on the public status page.
    logger.info(
        "efiling returned: ref=%s id=%s by=%s",
        filing.reference,
        filing.id,
        registrar_user_id,
    )
    return filing


# --- demo -------------------------------------------------------------------

#: Sample filings for ``spkms demo``: (court, case type, title, applicant name,
#: applicant MyKad, respondent name, respondent MyKad).
DEMO_FILINGS = (
    (
        "11001",
        "024",
        "Tuntutan nafkah anak",
        "Nur Aisyah binti Hassan",
        "880314-11-5072",
        "Mohd Faizal bin Ibrahim",
        "850622-11-5231",
    ),
    (
        "11003",
        "010",
        "Permohonan pengesahan nikah",
        "Siti Khadijah binti Abdullah",
        "920702-11-5534",
        "",
        "",
    ),
    (
        "11002",
        "018",
        "Tuntutan nafkah isteri",
        "Wan Noraini binti Wan Ismail",
        "790925-03-6120",
        "Che Mat bin Che Hamid",
        "770101-11-5893",
    ),
)


def add_demo_efilings(session: Any) -> int:
    """File the demo's sample e-filings the public way, unless some exist."""
    if session.scalar(sa.select(sa.func.count(EFiling.id))):
        return 0
    codes = {court.code: court.id for court in efiling_courts()}
    types = {case_type.code: case_type.id for case_type in online_case_types()}
    made = 0
    for court, code, title, name, mykad, respondent, respondent_mykad in DEMO_FILINGS:
        if court not in codes or code not in types:
            logger.warning("demo e-filing skipped: court %s type %s", court, code)
            continue
        submit_efiling(
            court_id=codes[court],
            case_type_id=types[code],
            title=title,
            applicant_name=name,
            applicant_identity_number=mykad,
            applicant_phone="019-9876543",
            respondent_name=respondent,
            respondent_identity_number=respondent_mykad,
        )
        made += 1
    logger.info("demo e-filings submitted: %d", made)
    return made
