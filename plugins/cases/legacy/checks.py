"""Checking the rows of the exports: the old system's words, dates and numbers.

Nothing here writes. ``plan_import`` turns both exports into the rows to
import and the rows refused, each refusal naming the column and the rule;
the rules of identity numbers, names and addresses are the parties plugin's.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from plugins.cases.legacy.exports import (
    Export,
    LegacyError,
    Reject,
    SourceRow,
)
from plugins.cases.models import CaseStatus, CaseType, PartyRole
from plugins.parties import services as parties
from portal.extensions import db
from portal.models import Court

logger = logging.getLogger(__name__)

#: The code scheme of ``kod_jenis_kes``: the first SPKMS used the JKSM-wide one.
LEGACY_SCHEME = "old"

#: The old system's status words, mapped to the statuses of this one.
STATUS_WORDS: dict[str, str] = {
    "BARU": CaseStatus.REGISTERED,
    "DAFTAR": CaseStatus.REGISTERED,
    "DIDAFTAR": CaseStatus.REGISTERED,
    "AKTIF": CaseStatus.IN_PROGRESS,
    "SEBUTAN": CaseStatus.IN_PROGRESS,
    "BICARA": CaseStatus.IN_PROGRESS,
    "DALAM PERBICARAAN": CaseStatus.IN_PROGRESS,
    "TANGGUH": CaseStatus.IN_PROGRESS,
    "SELESAI": CaseStatus.DECIDED,
    "PUTUS": CaseStatus.DECIDED,
    "DIPUTUSKAN": CaseStatus.DECIDED,
    "TARIK BALIK": CaseStatus.WITHDRAWN,
    "DITARIK BALIK": CaseStatus.WITHDRAWN,
    "BATAL": CaseStatus.STRUCK_OUT,
    "DIBATALKAN": CaseStatus.STRUCK_OUT,
    "GUGUR": CaseStatus.STRUCK_OUT,
    "PINDAH": CaseStatus.TRANSFERRED,
    "DIPINDAHKAN": CaseStatus.TRANSFERRED,
}
#: The old system's role words (a trailing number, ``PEMOHON 2``, is dropped).
ROLE_WORDS: dict[str, str] = {
    "PLAINTIF": PartyRole.PLAINTIFF,
    "PENUNTUT": PartyRole.PLAINTIFF,
    "PEMOHON": PartyRole.APPLICANT,
    "PEMPETISYEN": PartyRole.APPLICANT,
    "DEFENDAN": PartyRole.DEFENDANT,
    "RESPONDEN": PartyRole.RESPONDENT,
    "RESPONDAN": PartyRole.RESPONDENT,
    "TERTUDUH": PartyRole.ACCUSED,
    "OKT": PartyRole.ACCUSED,
    "ORANG KENA TUDUH": PartyRole.ACCUSED,
}
#: The old system's identity card words, mapped to the parties plugin's types.
IDENTITY_WORDS: dict[str, str] = {
    "KP BARU": "mykad",
    "MYKAD": "mykad",
    "KP LAMA": "old_ic",
    "POLIS": "police",
    "TENTERA": "army",
    "PASPORT": "passport",
    "PASSPORT": "passport",
}
#: The ``sulit`` flag: Malay Y/T (ya/tidak), or 1/0; empty is not confidential.
CONFIDENTIAL_WORDS: dict[str, bool] = {
    "": False,
    "Y": True,
    "YA": True,
    "1": True,
    "T": False,
    "TIDAK": False,
    "0": False,
}
#: Where the parties plugin's field names come from in ``pihak.csv``.
PARTY_FIELD_COLUMNS: dict[str, str] = {
    "full_name": "nama",
    "identity_type": "jenis_pengenalan",
    "identity_number": "no_pengenalan",
    "nationality": "warganegara",
    "birth_date": "tarikh_lahir",
    "gender": "no_pengenalan",
    "phone": "telefon",
    "address_line1": "alamat",
    "address_line2": "alamat",
    "address_line3": "alamat",
    "keyed_at_court_id": "no_kes",
}

_LEGACY_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_SEPARATORS = re.compile(r"[\s_\-]+")
_TRAILING_NUMBER = re.compile(r"\s*\d+$")

#: One person, as the parties plugin keys profiles: type, number, nationality.
IdentityKey = tuple[str, str, str]


@dataclass(frozen=True)
class CaseRow:
    """A checked ``kes.csv`` row, ready to become a ``Case``."""

    row: SourceRow
    legacy_number: str
    court_id: int
    case_type_id: int
    registered_on: date
    title: str
    status: str
    status_word: str
    confidential: bool


@dataclass(frozen=True)
class PartyRow:
    """A checked ``pihak.csv`` row: a person in a role in a legacy case.

    Rules that only a new profile needs (birth date against the MyKad, phone
    format) are checked when the profile is keyed: a person already on file
    is reused as they are, and the row's contact details are not used.
    """

    row: SourceRow
    legacy_number: str
    role: str
    full_name: str
    identity_type: str
    identity_number: str
    nationality: str
    birth_date: date | None
    phone: str | None
    address_lines: tuple[str, ...]

    @property
    def identity_key(self) -> IdentityKey:
        return (self.identity_type, self.identity_number, self.nationality)

    def profile_fields(self, court_id: int) -> dict[str, Any]:
        """The fields of a new profile, as the parties plugin takes them."""
        fields: dict[str, Any] = {
            "full_name": self.full_name,
            "identity_type": self.identity_type,
            "identity_number": self.identity_number,
            "nationality": self.nationality,
            "birth_date": self.birth_date,
            "phone": self.phone,
            "keyed_at_court_id": court_id,
        }
        for index, line in enumerate(self.address_lines, start=1):
            fields[f"address_line{index}"] = line
        return fields


@dataclass
class ImportPlan:
    """The checked rows of both files and the rows refused while checking."""

    case_export: Export
    party_export: Export
    cases: list[CaseRow]
    parties: dict[str, list[PartyRow]]
    rejects: list[Reject]


def _word(value: str) -> str:
    """An old system's code word, upper-case with single spaces."""
    return " ".join(_SEPARATORS.sub(" ", value).upper().split())


def legacy_number(value: str) -> str:
    """A case number from the old system, trimmed and otherwise verbatim.

    Old numbers (``10003-O55-14/2002``) follow no single pattern, so only what
    could never be a number is refused: nothing at all, more than the 40
    characters the column holds, control characters and markup.
    """
    number = value.strip()
    if not number:
        raise LegacyError("no_kes", "is required")
    if len(number) > 40:
        raise LegacyError("no_kes", "must be at most 40 characters")
    if any(unicodedata.category(char) in {"Cc", "Cf"} for char in number):
        raise LegacyError("no_kes", "must not contain control characters")
    if "<" in number or ">" in number:
        raise LegacyError("no_kes", "must not contain markup")
    return number


def legacy_date(column: str, value: str, *, required: bool) -> date | None:
    """A date written ``dd/mm/yyyy`` (one-digit day and month accepted)."""
    text = value.strip()
    if not text:
        if required:
            raise LegacyError(column, "is required")
        return None
    match = _LEGACY_DATE.fullmatch(text)
    if match is None:
        raise LegacyError(column, f"{text!r} is not a date written dd/mm/yyyy")
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise LegacyError(column, f"{text} is not a real date") from None


def _text(column: str, value: str, max_length: int, *, required: bool) -> str | None:
    """Text as the parties plugin accepts it (no markup, no control characters)."""
    try:
        return parties.clean_text(
            column, value, max_length=max_length, required=required
        )
    except parties.PartyError as exc:
        raise LegacyError(column, exc.rule) from None


def check_case_row(
    row: SourceRow, courts: dict[str, int], case_types: dict[str, int], today: date
) -> CaseRow:
    """Check one ``kes.csv`` row; raise ``LegacyError`` naming the column.

    The court must be one of the state's (closed courts included: their old
    cases stay theirs) and the case type an old-scheme code of the profile
    (``55`` is read as ``055``). The case type's level is not compared with
    the court's: an old case stays where it was heard.
    """
    values = row.values
    number = legacy_number(values["no_kes"])
    court_code = values["kod_mahkamah"].strip()
    if not court_code:
        raise LegacyError("kod_mahkamah", "is required")
    if court_code not in courts:
        raise LegacyError("kod_mahkamah", f"{court_code} is not a court of this state")
    type_code = values["kod_jenis_kes"].strip()
    if type_code.isdigit() and len(type_code) < 3:
        type_code = type_code.zfill(3)
    if not type_code:
        raise LegacyError("kod_jenis_kes", "is required")
    if type_code not in case_types:
        raise LegacyError(
            "kod_jenis_kes", f"{type_code} is not a case type of the old code scheme"
        )
    registered_on = legacy_date("tarikh_daftar", values["tarikh_daftar"], required=True)
    assert registered_on is not None
    if registered_on > today:
        raise LegacyError("tarikh_daftar", "must not be in the future")
    title = _text("tajuk", values["tajuk"], 300, required=True)
    assert title is not None
    status_word = _word(values["status"])
    if not status_word:
        raise LegacyError("status", "is required")
    if status_word not in STATUS_WORDS:
        raise LegacyError(
            "status",
            f"{status_word!r} is not a status of the old system"
            f" ({', '.join(STATUS_WORDS)})",
        )
    flag = _word(values["sulit"])
    if flag not in CONFIDENTIAL_WORDS:
        raise LegacyError("sulit", f"{flag!r} is not Y, T, 1 or 0")
    return CaseRow(
        row=row,
        legacy_number=number,
        court_id=courts[court_code],
        case_type_id=case_types[type_code],
        registered_on=registered_on,
        title=title,
        status=STATUS_WORDS[status_word],
        status_word=status_word,
        confidential=CONFIDENTIAL_WORDS[flag],
    )


def check_party_row(row: SourceRow, number: str) -> PartyRow:
    """Check one ``pihak.csv`` row; raise ``LegacyError`` naming the column.

    The identity number is checked by the parties plugin, whose rule says what
    is wrong (length, date of birth, place-of-birth code, ...). An address
    written over several lines fills the profile's three address lines.
    """
    values = row.values
    role_word = _TRAILING_NUMBER.sub("", _word(values["peranan"]))
    if not role_word:
        raise LegacyError("peranan", "is required")
    if role_word not in ROLE_WORDS:
        raise LegacyError(
            "peranan",
            f"{role_word!r} is not a party role the import knows"
            f" ({', '.join(ROLE_WORDS)})",
        )
    name = _text("nama", values["nama"], 200, required=True)
    assert name is not None
    if not any(char.isalpha() for char in name):
        raise LegacyError("nama", "must contain letters")
    type_word = _word(values["jenis_pengenalan"])
    if type_word not in IDENTITY_WORDS:
        raise LegacyError(
            "jenis_pengenalan",
            f"{type_word!r} is not an identity type of the old system"
            f" ({', '.join(IDENTITY_WORDS)})",
        )
    try:
        identity = parties.parse(
            IDENTITY_WORDS[type_word],
            values["no_pengenalan"],
            values["warganegara"].strip() or None,
        )
    except parties.PartyError as exc:
        raise LegacyError(
            PARTY_FIELD_COLUMNS.get(exc.field, exc.field), exc.rule
        ) from None
    birth_date = legacy_date("tarikh_lahir", values["tarikh_lahir"], required=False)
    lines = [line.strip() for line in values["alamat"].splitlines() if line.strip()]
    if len(lines) > 3:
        lines = [*lines[:2], ", ".join(lines[2:])]
    for line in lines:
        _text("alamat", line, 200, required=False)
    return PartyRow(
        row=row,
        legacy_number=number,
        role=ROLE_WORDS[role_word],
        full_name=name,
        identity_type=identity.identity_type,
        identity_number=identity.number,
        nationality=identity.nationality,
        birth_date=birth_date,
        phone=values["telefon"].strip() or None,
        address_lines=tuple(lines),
    )


def plan_import(case_export: Export, party_export: Export) -> ImportPlan:
    """Check every row of both exports; write nothing.

    Beyond each row's own rules: a case number seen again in ``kes.csv`` is
    refused (the first row counts), a party row must name a case of
    ``kes.csv`` that was not refused, and a person listed twice in the same
    role of the same case is refused the second time.
    """
    courts = dict(db.session.execute(sa.select(Court.code, Court.id)).all())
    case_types = dict(
        db.session.execute(
            sa.select(CaseType.code, CaseType.id).where(
                CaseType.scheme == LEGACY_SCHEME
            )
        ).all()
    )
    today = parties.today()
    rejects = [*case_export.rejects, *party_export.rejects]
    cases: list[CaseRow] = []
    first_line: dict[str, int] = {}
    refused_line: dict[str, int] = {}
    for row in case_export.rows:
        number = row.values["no_kes"].strip()
        try:
            if number in first_line:
                raise LegacyError(
                    "no_kes",
                    f"{number} appears again; its first row is at line"
                    f" {first_line[number]}",
                )
            if number:
                first_line[number] = row.line
            cases.append(check_case_row(row, courts, case_types, today))
        except LegacyError as exc:
            rejects.append(Reject.of(row, exc.field, exc.rule))
            if number and first_line.get(number) == row.line:
                refused_line[number] = row.line
    accepted = {case.legacy_number for case in cases}
    party_rows: dict[str, list[PartyRow]] = {}
    listed: dict[tuple[str, IdentityKey, str], int] = {}
    for row in party_export.rows:
        number = row.values["no_kes"].strip()
        try:
            if not number:
                raise LegacyError("no_kes", "is required")
            if number in refused_line:
                raise LegacyError(
                    "no_kes",
                    f"the case row of {number} was rejected"
                    f" ({case_export.name} line {refused_line[number]})",
                )
            if number not in accepted:
                raise LegacyError(
                    "no_kes", f"{number} names no case in {case_export.name}"
                )
            party = check_party_row(row, number)
            key = (number, party.identity_key, party.role)
            if key in listed:
                raise LegacyError(
                    "no_pengenalan",
                    f"this person is already listed as"
                    f" {PartyRole.LABELS[party.role].lower()} of {number}"
                    f" at line {listed[key]}",
                )
            listed[key] = row.line
            party_rows.setdefault(number, []).append(party)
        except LegacyError as exc:
            rejects.append(Reject.of(row, exc.field, exc.rule))
    logger.info(
        "legacy import planned: cases=%d party_rows=%d rejected=%d",
        len(cases),
        sum(len(rows) for rows in party_rows.values()),
        len(rejects),
    )
    return ImportPlan(case_export, party_export, cases, party_rows, rejects)
