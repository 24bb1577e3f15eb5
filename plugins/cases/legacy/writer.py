"""Writing the checked rows: batches of cases, one transaction each.

Runs as the service user, which sees every court, so that every version
Continuum writes is signed by it. A crash loses at most the batch in flight; a
re-run skips the cases already imported (found by ``Case.legacy_number``) and
links only the parties not linked yet.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.exc import IntegrityError

from plugins.cases.legacy.checks import (
    PARTY_FIELD_COLUMNS,
    CaseRow,
    IdentityKey,
    ImportPlan,
    PartyRow,
    plan_import,
)
from plugins.cases.legacy.exports import (
    CASE_FILE,
    PARTY_FILE,
    LegacyError,
    Reject,
    read_case_export,
    read_party_export,
)
from plugins.cases.models import Case, CaseNumberSeries, CaseParty, CaseType
from plugins.cases.services import ensure_series
from plugins.parties import services as parties
from portal.extensions import db
from portal.models import Court
from portal.security import access

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 200
#: ``status_reason`` of an imported case, followed by the old status word.
IMPORTED_REASON = "Diimport dari SPKMS lama; status asal"
#: A number in the new series' shape, ``CCCCC-TTT-NNNN-YYYY``.
_NEW_FORMAT = re.compile(r"(\d{5})-(\d{3})-(\d{1,6})-(\d{4})")

#: A party profile's id, or in a dry run a stand-in for one not keyed yet.
PartyRef = Hashable


@dataclass
class ImportSummary:
    """What a run did (or, in a dry run, would do).

    ``parties_created`` counts profiles keyed by this run; ``parties_reused``
    counts distinct profiles that were on file before the run and that its
    rows found. ``links_present`` counts party rows already linked to their
    case (by an earlier run, or a second identity merged into the same person).
    """

    dry_run: bool
    encodings: dict[str, str]
    case_rows: int
    party_rows: int
    cases_imported: int = 0
    cases_present: int = 0
    cases_without_parties: int = 0
    parties_created: int = 0
    parties_reused: int = 0
    links_created: int = 0
    links_present: int = 0
    rejects: list[Reject] = field(default_factory=list)

    @property
    def cases_rejected(self) -> int:
        return sum(1 for reject in self.rejects if reject.kind == CASE_FILE)

    @property
    def party_rows_rejected(self) -> int:
        return sum(1 for reject in self.rejects if reject.kind == PARTY_FILE)


def keep_series_past(court_id: int, case_type_id: int, year: int, running: int) -> None:
    """Raise a running-number series to at least ``running``; never lower it.

    An old number in the new shape (``11003-055-0045-2026``) would otherwise
    be issued again by the new series of the same court, type and year, most
    likely in the year the new system went live. The series row is created
    if missing and updated in the import's transaction, like a registration.
    """
    session = db.session
    ensure_series(court_id, case_type_id, year)
    session.execute(
        sa.update(CaseNumberSeries)
        .where(
            CaseNumberSeries.court_id == court_id,
            CaseNumberSeries.case_type_id == case_type_id,
            CaseNumberSeries.year == year,
            CaseNumberSeries.last_number < running,
        )
        .values(last_number=running)
    )


class _PartyRowFailed(Exception):
    """The parties plugin refused a row while writing; the batch is redone."""

    def __init__(self, party: PartyRow, error: parties.PartyError) -> None:
        self.party = party
        self.error = error
        super().__init__(str(error))


@dataclass
class _Tally:
    """What one attempt at a batch did; added to the summary once it commits."""

    imported: int = 0
    present: int = 0
    without_parties: int = 0
    links_created: int = 0
    links_present: int = 0
    created: dict[IdentityKey, PartyRef] = field(default_factory=dict)
    reused: dict[IdentityKey, PartyRef] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)


class _Writer:
    """Writes the plan's cases batch by batch and keeps the running summary."""

    def __init__(self, plan: ImportPlan, summary: ImportSummary) -> None:
        self.plan = plan
        self.summary = summary
        self.dry_run = summary.dry_run
        self.zone = ZoneInfo(current_app.extensions["spkms"].profile.timezone)
        self.courts = dict(db.session.execute(sa.select(Court.code, Court.id)).all())
        self.types_by_code: dict[str, list[int]] = {}
        for code, type_id in db.session.execute(sa.select(CaseType.code, CaseType.id)):
            self.types_by_code.setdefault(code, []).append(type_id)
        #: Profiles found or keyed by committed batches, by identity.
        self.profiles: dict[IdentityKey, PartyRef] = {}
        self.reused_ids: set[PartyRef] = set()
        self.dropped: set[int] = set()

    def write(self, batch: Sequence[CaseRow]) -> None:
        """Write ``batch`` in one transaction; a refused row is left out.

        A party row the parties plugin refuses is rejected and the batch done
        again without it. A case the database refuses sends the batch round
        again one case per transaction, so only that case is rejected. Other
        errors (a lost connection) propagate: the committed batches stay.
        """
        session = db.session
        while True:
            tally = _Tally()
            try:
                for case_row in self._with_present(batch):
                    self._write_case(*case_row, tally)
                if self.dry_run:
                    session.rollback()
                else:
                    session.commit()
            except _PartyRowFailed as failed:
                session.rollback()
                field_name = PARTY_FIELD_COLUMNS.get(
                    failed.error.field, failed.error.field
                )
                self.dropped.add(id(failed.party))
                self.summary.rejects.append(
                    Reject.of(failed.party.row, field_name, failed.error.rule)
                )
                continue
            except (IntegrityError, LegacyError, parties.PartyError) as exc:
                session.rollback()
                if len(batch) > 1:
                    logger.warning(
                        "legacy batch refused (%s); writing it case by case", exc
                    )
                    for case_row in batch:
                        self.write([case_row])
                    return
                self._refuse_case(batch[0], exc)
                return
            self._count(tally)
            return

    def _with_present(
        self, batch: Sequence[CaseRow]
    ) -> list[tuple[CaseRow, int | None, int | None]]:
        """Each case of the batch with the id of the case already holding its
        legacy number (imported before) or its case number (keyed here)."""
        numbers = [case.legacy_number for case in batch]
        present = dict(
            db.session.execute(
                sa.select(Case.legacy_number, Case.id).where(
                    Case.legacy_number.in_(numbers)
                )
            ).all()
        )
        taken = dict(
            db.session.execute(
                sa.select(Case.case_number, Case.id).where(
                    Case.case_number.in_(numbers)
                )
            ).all()
        )
        return [
            (case, present.get(case.legacy_number), taken.get(case.legacy_number))
            for case in batch
        ]

    def _write_case(
        self,
        case_row: CaseRow,
        present_id: int | None,
        taken_id: int | None,
        tally: _Tally,
    ) -> None:
        number = case_row.legacy_number
        linked: set[tuple[PartyRef, str]] = set()
        case: Case | None = None
        if present_id is not None:
            # TODO(no import log): a case is known as imported only by its
            # legacy number, so one deleted in SPKMS after the import comes
            # back on a re-run; a table of imported source rows (file, line,
            # case) would tell the two apart, and needs a migration.
            tally.present += 1
            linked.update(
                db.session.execute(
                    sa.select(CaseParty.party_id, CaseParty.role).where(
                        CaseParty.case_id == present_id
                    )
                )
            )
        elif taken_id is not None:
            self._reject_with_parties(
                tally.rejects,
                case_row,
                "no_kes",
                f"is already the number of case {taken_id}, registered in SPKMS",
            )
            return
        else:
            tally.imported += 1
            if not self.dry_run:
                case = self._new_case(case_row)
        new_links = 0
        for party_row in self.plan.parties.get(number, []):
            if id(party_row) in self.dropped:
                continue
            party_ref = self._party(party_row, case_row.court_id, tally)
            if party_ref is None:
                continue
            if (party_ref, party_row.role) in linked:
                tally.links_present += 1
                continue
            linked.add((party_ref, party_row.role))
            new_links += 1
            if case is not None:
                case.parties.append(CaseParty(party_id=party_ref, role=party_row.role))
            elif present_id is not None and not self.dry_run:
                db.session.add(
                    CaseParty(
                        case_id=present_id, party_id=party_ref, role=party_row.role
                    )
                )
        tally.links_created += new_links
        if present_id is None and not linked:
            tally.without_parties += 1
            logger.warning("legacy case without parties: %s", number)
        if case is not None:
            db.session.flush()
            logger.debug("legacy case imported: %s id=%s", number, case.id)

    def _new_case(self, case_row: CaseRow) -> Case:
        registered_at = datetime.combine(
            case_row.registered_on, time(0), tzinfo=self.zone
        ).astimezone(UTC)
        case = Case(
            court_id=case_row.court_id,
            case_type_id=case_row.case_type_id,
            year=case_row.registered_on.year,
            running_number=None,
            case_number=case_row.legacy_number,
            legacy_number=case_row.legacy_number,
            title=case_row.title,
            status=case_row.status,
            status_reason=f"{IMPORTED_REASON} {case_row.status_word}",
            registered_at=registered_at,
            registered_by_id=None,
            registered_from_id=case_row.court_id,
            confidential=case_row.confidential,
            fee_due_sen=0,
        )
        # TODO(no close date in the exports): a decided, withdrawn or struck
        # out case keeps closed_at empty, as kes.csv has no such date; reports
        # of time to decision must leave imported cases out until it is found.
        db.session.add(case)
        match = _NEW_FORMAT.fullmatch(case_row.legacy_number)
        if match and match[1] in self.courts:
            for type_id in self.types_by_code.get(match[2], []):
                keep_series_past(
                    self.courts[match[1]], type_id, int(match[4]), int(match[3])
                )
        return case

    def _party(
        self, party_row: PartyRow, court_id: int, tally: _Tally
    ) -> PartyRef | None:
        """The profile of the row's person, found or keyed by the parties plugin.

        Each person is looked up once per run. A new profile's rules are
        checked first, so a refusal writes nothing and rejects only the row; a
        dry run stops there and stands in for the profile.
        """
        key = party_row.identity_key
        known = (
            tally.created.get(key) or tally.reused.get(key) or self.profiles.get(key)
        )
        if known is not None:
            return known
        fields = party_row.profile_fields(court_id)
        is_new = parties.find_by_identity(*key) is None
        if is_new:
            try:
                parties.clean_party_fields(fields)
            except parties.PartyError as exc:
                field_name = PARTY_FIELD_COLUMNS.get(exc.field, exc.field)
                tally.rejects.append(Reject.of(party_row.row, field_name, exc.rule))
                return None
            if self.dry_run:
                tally.created[key] = ("new", *key)
                return tally.created[key]
        # TODO(contact details): a profile on file is reused as it is; the
        # row's phone and address do not fill its empty fields, so an officer
        # adds them when the person next comes to court.
        try:
            # Reuses the profile on file (logging a name far from the row's),
            # or keys it.
            party = parties.get_or_create_party(**fields)
        except parties.PartyError as exc:
            raise _PartyRowFailed(party_row, exc) from exc
        (tally.created if is_new else tally.reused)[key] = party.id
        return party.id

    def _reject_with_parties(
        self, rejects: list[Reject], case_row: CaseRow, field_name: str, rule: str
    ) -> None:
        rejects.append(Reject.of(case_row.row, field_name, rule))
        for party_row in self.plan.parties.get(case_row.legacy_number, []):
            if id(party_row) not in self.dropped:
                rejects.append(
                    Reject.of(
                        party_row.row,
                        "no_kes",
                        f"the case row of {case_row.legacy_number} was rejected"
                        f" ({case_row.row.source} line {case_row.row.line})",
                    )
                )

    def _refuse_case(self, case_row: CaseRow, exc: Exception) -> None:
        field_name = getattr(exc, "field", "no_kes")
        rule = getattr(exc, "rule", None)
        if rule is None:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()
            rule = f"the database refused the case ({reason[0] if reason else exc})"
        logger.warning("legacy case refused: %s %s", case_row.legacy_number, rule)
        self._reject_with_parties(self.summary.rejects, case_row, field_name, rule)

    def _count(self, tally: _Tally) -> None:
        summary = self.summary
        summary.cases_imported += tally.imported
        summary.cases_present += tally.present
        summary.cases_without_parties += tally.without_parties
        summary.links_created += tally.links_created
        summary.links_present += tally.links_present
        summary.parties_created += len(tally.created)
        for key, ref in tally.reused.items():
            if ref not in self.reused_ids:
                self.reused_ids.add(ref)
                summary.parties_reused += 1
            self.profiles[key] = ref
        self.profiles.update(tally.created)
        summary.rejects.extend(tally.rejects)


def _act_as_service_user(dry_run: bool) -> None:
    """Sign the run's versions with the service user, which sees every court.

    A dry run writes nothing, so it does not create the service user either.
    """
    sm = current_app.appbuilder.sm
    if dry_run:
        user = sm.find_user(username=current_app.config["SPKMS_SERVICE_USER"])
    else:
        user = sm.service_user()
    g.user = user
    g.pop("spkms_viewer", None)
    if user is not None and not access.current_viewer().statewide:
        raise LegacyError(
            "SPKMS_SERVICE_USER",
            "must hold a statewide role (SPKMS_STATEWIDE_ROLES) to import the"
            " cases of every court",
        )


def run_import(
    plan: ImportPlan,
    *,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Write the plan's good rows, ``batch_size`` cases per transaction.

    ``progress`` is called after each batch with the number of cases it
    handled. A dry run does every lookup and check but rolls each batch back
    with nothing written, so its counts are what a real run would report.
    """
    if batch_size < 1:
        raise LegacyError("batch_size", "must be at least 1")
    _act_as_service_user(dry_run)
    summary = ImportSummary(
        dry_run=dry_run,
        encodings={
            plan.case_export.name: plan.case_export.encoding,
            plan.party_export.name: plan.party_export.encoding,
        },
        case_rows=len(plan.case_export.rows) + len(plan.case_export.rejects),
        party_rows=len(plan.party_export.rows) + len(plan.party_export.rejects),
        rejects=list(plan.rejects),
    )
    writer = _Writer(plan, summary)
    db.session.rollback()  # end the read transaction of the checks
    for start in range(0, len(plan.cases), batch_size):
        batch = plan.cases[start : start + batch_size]
        writer.write(batch)
        logger.info(
            "legacy import batch: cases %d-%d of %d imported=%d present=%d"
            " links=%d rejected=%d dry_run=%s",
            start + 1,
            start + len(batch),
            len(plan.cases),
            summary.cases_imported,
            summary.cases_present,
            summary.links_created,
            len(summary.rejects),
            dry_run,
        )
        if progress is not None:
            progress(len(batch))
    summary.rejects.sort(key=lambda r: (r.kind != CASE_FILE, r.line))
    logger.info(
        "legacy import done: imported=%d present=%d cases_rejected=%d"
        " parties_created=%d parties_reused=%d links=%d party_rows_rejected=%d"
        " dry_run=%s",
        summary.cases_imported,
        summary.cases_present,
        summary.cases_rejected,
        summary.parties_created,
        summary.parties_reused,
        summary.links_created,
        summary.party_rows_rejected,
        dry_run,
    )
    return summary


def import_legacy(
    case_path: Path,
    party_path: Path,
    *,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Read, check and import both exports (see the module docstring)."""
    plan = plan_import(read_case_export(case_path), read_party_export(party_path))
    return run_import(plan, dry_run=dry_run, batch_size=batch_size, progress=progress)
