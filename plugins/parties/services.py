"""The rules of party profiles and lawyers, free of request objects.

Screens, the REST API, the CLI and the cases plugin all call these, so a
profile is checked the same way wherever it is keyed. Every refusal raises
``PartyError(field, rule)``.

Transactions: ``create_*``, ``update_*`` and ``get_or_create_party`` flush
and leave the commit to the caller, so that case registration can find or
create its parties inside its own transaction. When the database refuses a
row (two officers keying the same person at the same moment) the whole
transaction is rolled back, because PostgreSQL will not go on with it, and
the clash is reported as a ``PartyError``. ``merge_parties`` is a unit of
work of its own and commits (or rolls back) everything it did.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from plugins.parties import search
from plugins.parties.fields import (
    PartyError,
    clean_date,
    clean_email,
    clean_gender,
    clean_name,
    clean_phone,
    clean_postcode,
    clean_text,
    today,
)
from plugins.parties.identity import (
    GENDERS,
    MYKAD,
    Identity,
    IdentityError,
    check_birth_facts,
    display_number,
    parse_identity,
)
from plugins.parties.models import Lawyer, Party, PartyMerge
from portal.extensions import db

logger = logging.getLogger(__name__)

__all__ = [
    "PartyError",
    "accept_lawyer",
    "accept_party",
    "check_merge",
    "clean_party_fields",
    "clean_text",
    "create_lawyer",
    "create_party",
    "describe",
    "find_by_identity",
    "get_or_create_party",
    "get_party",
    "merge_parties",
    "parse",
    "reindex_names",
    "search_by_name",
    "today",
    "update_party",
]

#: What a caller may set on a party profile.
PARTY_FIELDS = (
    "full_name",
    "identity_type",
    "identity_number",
    "nationality",
    "birth_date",
    "gender",
    "address_line1",
    "address_line2",
    "address_line3",
    "postcode",
    "town",
    "state",
    "phone",
    "email",
    "keyed_at_court_id",
)
#: What a caller may set on a lawyer.
LAWYER_FIELDS = ("name", "certificate_number", "firm", "address", "phone", "email")
#: A survivor's empty fields that a merge fills from the duplicate.
FILLED_ON_MERGE = (
    "birth_date",
    "gender",
    "address_line1",
    "address_line2",
    "address_line3",
    "postcode",
    "town",
    "state",
    "phone",
    "email",
)
#: Below this similarity a reused profile's name is logged as a likely typo.
NAME_MISMATCH_SCORE = 0.5

_CERTIFICATE = re.compile(r"[A-Z0-9][A-Z0-9/.\- ]{2,29}")


def parse(
    identity_type: str | None, number: str | None, nationality: str | None = None
) -> Identity:
    """``identity.parse_identity`` with its error as a ``PartyError``."""
    try:
        return parse_identity(identity_type, number, nationality, today=today())
    except IdentityError as exc:
        raise PartyError(exc.field, exc.rule) from None


# --- party profiles -------------------------------------------------------------


def _holder_of(identity: Identity, *, other_than: int | None) -> int | None:
    """The id of a profile other than ``other_than`` holding ``identity``."""
    statement = sa.select(Party.id).where(
        Party.identity_type == identity.identity_type,
        Party.identity_number == identity.number,
        Party.nationality == identity.nationality,
    )
    if other_than is not None:
        statement = statement.where(Party.id != other_than)
    return db.session.scalar(statement.limit(1))


def clean_party_fields(
    values: Mapping[str, Any], *, party_id: int | None = None
) -> dict[str, Any]:
    """Every field of a profile, checked and in canonical form.

    ``values`` holds the profile's wanted state (missing fields are empty);
    ``party_id`` is the profile being changed, which may keep its own number.
    The result includes ``name_key`` and the birth date and gender a MyKad
    gives. Raises ``PartyError`` on the first broken rule.
    """
    unknown = sorted(set(values) - set(PARTY_FIELDS))
    if unknown:
        raise PartyError(unknown[0], "is not a field of a party profile")
    full_name = clean_name("full_name", values.get("full_name"))
    identity = parse(
        values.get("identity_type"),
        values.get("identity_number"),
        values.get("nationality"),
    )
    try:
        birth_date, gender = check_birth_facts(
            identity,
            clean_date("birth_date", values.get("birth_date")),
            clean_gender(values.get("gender")),
            today=today(),
        )
    except IdentityError as exc:
        raise PartyError(exc.field, exc.rule) from None
    cleaned: dict[str, Any] = {
        "full_name": full_name,
        "name_key": search.name_key(full_name),
        "identity_type": identity.identity_type,
        "identity_number": identity.number,
        "nationality": identity.nationality,
        "birth_date": birth_date,
        "gender": gender,
        "postcode": clean_postcode(values.get("postcode")),
        "phone": clean_phone(values.get("phone")),
        "email": clean_email(values.get("email")),
        "keyed_at_court_id": values.get("keyed_at_court_id"),
    }
    for field in ("address_line1", "address_line2", "address_line3"):
        cleaned[field] = clean_text(field, values.get(field), max_length=200)
    cleaned["town"] = clean_text("town", values.get("town"), max_length=100)
    cleaned["state"] = clean_text("state", values.get("state"), max_length=50)
    with db.session.no_autoflush:
        holder = _holder_of(identity, other_than=party_id)
    if holder is not None:
        raise PartyError(
            "identity_number",
            f"{identity.display} is already registered (profile {holder})",
        )
    return cleaned


def _is_clash(exc: IntegrityError, *names: str) -> bool:
    """True when the database refused the row for one of the named constraints
    (PostgreSQL names the constraint, SQLite the columns)."""
    message = str(exc.orig)
    return any(name in message for name in names)


def _flush(record: Any, what: str) -> None:
    """Add and flush ``record``; turn a unique-constraint clash into a PartyError.

    A clash rolls the whole transaction back rather than a savepoint:
    Continuum clears its per-transaction state only on a real rollback, so
    after a savepoint's rollback it would go on with version rows that the
    savepoint removed.
    """
    session = db.session
    session.add(record)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        if what == "party" and _is_clash(
            exc, "uq_party_identity", "party.identity_number"
        ):
            logger.warning("party identity clash on insert: %s", exc.orig)
            raise PartyError(
                "identity_number",
                "was registered by another officer at the same moment; "
                "look the number up again",
            ) from exc
        if what == "lawyer" and _is_clash(exc, "certificate_number"):
            raise PartyError(
                "certificate_number", "is already registered to another lawyer"
            ) from exc
        raise


def create_party(**fields: Any) -> Party:
    """Key a new profile; refuse a number that already has one. Flushes only."""
    party = Party(**clean_party_fields(fields))
    _flush(party, "party")
    logger.info(
        "party created: party=%s type=%s court=%s",
        party.id,
        party.identity_type,
        party.keyed_at_court_id,
    )
    return party


def update_party(party: Party, **fields: Any) -> Party:
    """Change a profile. A new MyKad number re-derives birth date and gender
    unless they are given too. A merged profile is not edited. Flushes only."""
    if party.merged_into_id is not None:
        raise PartyError(
            "merged_into",
            f"profile {party.id} was merged into profile {party.merged_into_id}; "
            "change the surviving profile",
        )
    values = {field: getattr(party, field) for field in PARTY_FIELDS}
    values.update(fields)
    new_identity = any(
        field in fields and fields[field] != getattr(party, field)
        for field in ("identity_type", "identity_number")
    )
    if new_identity and values.get("identity_type") == MYKAD:
        for derived in ("birth_date", "gender"):
            if derived not in fields:
                values[derived] = None
    cleaned = clean_party_fields(values, party_id=party.id)
    for field, value in cleaned.items():
        if getattr(party, field) != value:
            setattr(party, field, value)
    _flush(party, "party")
    logger.info("party updated: party=%s", party.id)
    return party


def accept_party(party: Party) -> Party:
    """Check and canonicalise the values a form already set on ``party``.

    The screens and the API build the object from the submitted form, then
    hand it here before it is saved, so they refuse exactly what
    ``create_party`` / ``update_party`` refuse. Flushes only.
    """
    is_new = party.id is None
    values = {field: getattr(party, field) for field in PARTY_FIELDS}
    with db.session.no_autoflush:
        if not is_new and party.merged_into_id is not None:
            raise PartyError(
                "merged_into",
                f"profile {party.id} was merged into profile "
                f"{party.merged_into_id}; change the surviving profile",
            )
        cleaned = clean_party_fields(values, party_id=party.id)
    for field, value in cleaned.items():
        if getattr(party, field) != value:
            setattr(party, field, value)
    _flush(party, "party")
    logger.info("party %s: party=%s", "created" if is_new else "updated", party.id)
    return party


def find_by_identity(
    identity_type: str, number: str, nationality: str | None = None
) -> Party | None:
    """The profile holding this identity (its survivor if merged), or ``None``.

    The number is canonicalised first, so ``900101-11-5123`` and
    ``900101115123`` find the same profile; a malformed number raises
    ``PartyError`` naming the rule.
    """
    identity = parse(identity_type, number, nationality)
    return search.find_identity(db.session, identity)


def search_by_name(
    text: str,
    limit: int = search.DEFAULT_LIMIT,
    min_score: float = search.DEFAULT_MIN_SCORE,
) -> list[search.Match]:
    """Profiles whose name resembles ``text``, best first (see ``search``)."""
    return search.rank_by_name(db.session, text, limit=limit, min_score=min_score)


def get_party(party_id: int) -> Party | None:
    """Profile ``party_id``, or its survivor when it was merged; ``None`` if
    there is no such profile. Callers link the returned profile's id."""
    return search.resolve_merged(db.session, db.session.get(Party, party_id))


def get_or_create_party(**fields: Any) -> Party:
    """The profile for this identity, keyed now if there is none.

    An existing profile is reused as it is (its survivor, if it was merged),
    never keyed twice; a name far from the one on file is logged, as it
    suggests a mistyped number. Flushes only.
    """
    identity = parse(
        fields.get("identity_type"),
        fields.get("identity_number"),
        fields.get("nationality"),
    )
    existing = search.find_identity(db.session, identity)
    if existing is None:
        return create_party(**fields)
    given = search.name_key(str(fields.get("full_name") or ""))
    score = search.similarity(given, existing.name_key) or 0.0
    if given and score < NAME_MISMATCH_SCORE:
        logger.warning(
            "party reused with a different name: party=%s score=%.2f",
            existing.id,
            score,
        )
    return existing


def reindex_names() -> int:
    """Rewrite ``name_key`` wherever the naming rules now give another key.

    For after ``search.name_key`` learnt a new abbreviation; each changed
    profile is versioned like any edit. Flushes only; returns the count.
    """
    changed = 0
    for party in db.session.scalars(sa.select(Party).execution_options(yield_per=500)):
        key = search.name_key(party.full_name)
        if party.name_key != key:
            party.name_key = key
            changed += 1
    db.session.flush()
    logger.info("party search keys rewritten: %d", changed)
    return changed


# --- merging duplicates -----------------------------------------------------------


def _locked_pair(survivor_id: int, duplicate_id: int) -> tuple[Party, Party]:
    """Both profiles, locked for this transaction on PostgreSQL, fresh."""
    rows = {
        party.id: party
        for party in db.session.scalars(
            sa.select(Party)
            .where(Party.id.in_([survivor_id, duplicate_id]))
            .order_by(Party.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    if survivor_id not in rows:
        raise PartyError("survivor_id", f"there is no profile {survivor_id}")
    if duplicate_id not in rows:
        raise PartyError("duplicate_id", f"there is no profile {duplicate_id}")
    return rows[survivor_id], rows[duplicate_id]


def check_merge(survivor: Party, duplicate: Party, *, force: bool) -> None:
    """Refuse a merge that cannot be right; see ``merge_parties``."""
    if survivor.id == duplicate.id:
        raise PartyError("duplicate_id", "a profile cannot be merged into itself")
    if survivor.merged_into_id is not None:
        raise PartyError(
            "survivor_id",
            f"profile {survivor.id} was merged into profile "
            f"{survivor.merged_into_id}; merge into that one",
        )
    if duplicate.merged_into_id is not None:
        raise PartyError(
            "duplicate_id",
            f"profile {duplicate.id} was already merged into profile "
            f"{duplicate.merged_into_id}",
        )
    if survivor.identity_type == MYKAD == duplicate.identity_type and not force:
        raise PartyError(
            "duplicate_id",
            "the profiles carry different MyKad numbers "
            f"({survivor.identity_display} and {duplicate.identity_display}); "
            "merge them only by forcing it, with the reason",
        )


def merge_parties(
    survivor_id: int,
    duplicate_id: int,
    reason: str,
    user_id: int | None,
    *,
    force: bool = False,
) -> PartyMerge:
    """Merge a duplicate profile into the surviving one, in one transaction.

    Every plugin moves its references to the duplicate onto the survivor
    (``spkms_repoint_party``), profiles merged earlier into the duplicate are
    pointed at the survivor, the survivor's empty contact fields are filled
    from the duplicate, the duplicate is marked ``merged_into`` and a
    ``PartyMerge`` records who did it and why. Commits; on any failure rolls
    everything back. Refuses merging a profile into itself, into or from a
    merged profile, and two different MyKad numbers unless ``force``.
    """
    session = db.session
    try:
        reason_text = clean_text("reason", reason, max_length=500, required=True)
        if survivor_id == duplicate_id:
            raise PartyError("duplicate_id", "a profile cannot be merged into itself")
        survivor, duplicate = _locked_pair(survivor_id, duplicate_id)
        check_merge(survivor, duplicate, force=force)
        record = _merge(survivor, duplicate, reason_text or "", user_id, force)
        session.commit()
    except Exception:
        session.rollback()
        raise
    logger.info(
        "parties merged: merge=%s survivor=%s duplicate=%s moved=%s forced=%s user=%s",
        record.id,
        survivor_id,
        duplicate_id,
        record.moved_references,
        force,
        user_id,
    )
    return record


def _merge(
    survivor: Party, duplicate: Party, reason: str, user_id: int | None, force: bool
) -> PartyMerge:
    from portal.app import spkms

    session = db.session
    answers = spkms().hook.spkms_repoint_party(
        session=session(), from_party_id=duplicate.id, to_party_id=survivor.id
    )
    moved = sum(answer or 0 for answer in answers)
    earlier = session.scalars(
        sa.select(Party).where(Party.merged_into_id == duplicate.id)
    )
    for party in earlier:
        party.merged_into_id = survivor.id
        moved += 1
    filled = []
    for field in FILLED_ON_MERGE:
        if getattr(survivor, field) in (None, "") and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
            filled.append(field)
    duplicate.merged_into_id = survivor.id
    record = PartyMerge(
        survivor_id=survivor.id,
        merged_id=duplicate.id,
        reason=reason,
        forced=force,
        merged_by_id=user_id,
        moved_references=moved,
    )
    session.add(record)
    session.flush()
    if filled:
        logger.info(
            "merge filled survivor=%s from duplicate=%s: %s",
            survivor.id,
            duplicate.id,
            ",".join(filled),
        )
    return record


# --- lawyers -----------------------------------------------------------------


def clean_lawyer_fields(
    values: Mapping[str, Any], *, lawyer_id: int | None = None
) -> dict[str, Any]:
    """Every field of a lawyer, checked; the certificate number upper-cased."""
    unknown = sorted(set(values) - {*LAWYER_FIELDS, "active"})
    if unknown:
        raise PartyError(unknown[0], "is not a field of a lawyer")
    certificate = clean_text(
        "certificate_number",
        values.get("certificate_number"),
        max_length=30,
        required=True,
    )
    certificate = (certificate or "").upper()
    if not _CERTIFICATE.fullmatch(certificate):
        raise PartyError(
            "certificate_number", "must be 3 to 30 letters, digits, / . or -"
        )
    with db.session.no_autoflush:
        statement = sa.select(Lawyer.id).where(Lawyer.certificate_number == certificate)
        if lawyer_id is not None:
            statement = statement.where(Lawyer.id != lawyer_id)
        holder = db.session.scalar(statement.limit(1))
    if holder is not None:
        raise PartyError(
            "certificate_number",
            f"{certificate} is already registered (lawyer {holder})",
        )
    active = values.get("active")
    return {
        "name": clean_name("name", values.get("name")),
        "certificate_number": certificate,
        "firm": clean_text("firm", values.get("firm"), max_length=200),
        "address": clean_text("address", values.get("address"), max_length=500),
        "phone": clean_phone(values.get("phone")),
        "email": clean_email(values.get("email")),
        "active": True if active is None else bool(active),
    }


def create_lawyer(**fields: Any) -> Lawyer:
    """Register a Syariah lawyer. Flushes only."""
    lawyer = Lawyer(**clean_lawyer_fields(fields))
    _flush(lawyer, "lawyer")
    logger.info("lawyer created: lawyer=%s", lawyer.id)
    return lawyer


def accept_lawyer(lawyer: Lawyer) -> Lawyer:
    """Check and canonicalise what a form set on ``lawyer``. Flushes only."""
    values = {field: getattr(lawyer, field) for field in (*LAWYER_FIELDS, "active")}
    cleaned = clean_lawyer_fields(values, lawyer_id=lawyer.id)
    for field, value in cleaned.items():
        if getattr(lawyer, field) != value:
            setattr(lawyer, field, value)
    _flush(lawyer, "lawyer")
    return lawyer


def describe(party: Party) -> dict[str, Any]:
    """The facts of a profile a person compares before a merge, labelled."""
    return {
        "Nama": party.full_name,
        "No. Pengenalan": display_number(party.identity_type, party.identity_number),
        "Jenis Pengenalan": party.identity_type,
        "Warganegara": party.nationality,
        "Tarikh Lahir": party.birth_date.isoformat() if party.birth_date else "",
        "Jantina": GENDERS.get(party.gender or "", ""),
        "Alamat": ", ".join(
            part
            for part in (
                party.address_line1,
                party.address_line2,
                party.address_line3,
                " ".join(p for p in (party.postcode, party.town) if p),
                party.state,
            )
            if part
        ),
        "Telefon": party.phone or "",
        "E-mel": party.email or "",
    }
