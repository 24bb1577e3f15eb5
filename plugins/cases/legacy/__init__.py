"""``spkms import-legacy``: cases and parties from the first SPKMS's CSV exports.

The old system exported two files: ``kes.csv``, one row per case, and
``pihak.csv``, one row per party of a case (``docs/legacy-import.md`` lists
their columns). The import works in three steps, each a function that the
command (``cli``) and the tests call alike:

1. ``read_export`` (``exports``) decodes a file (UTF-8 with or without a BOM, else
   Windows-1252, and says which) into rows that remember their line numbers;
2. ``plan_import`` (``checks``) checks every row without writing anything; a bad row
   becomes a ``Reject`` naming the file, the line, the column and the rule;
3. ``run_import`` (``writer``) writes the good rows in batches of cases, one transaction
   per batch, as the service user. A crash loses at most the batch in flight;
   a re-run skips the cases already imported (found by ``Case.legacy_number``)
   and links only the parties not linked yet, so nothing is written twice.

An imported case keeps its old number verbatim as both ``legacy_number`` and
``case_number`` and takes no running number: people quote these numbers. A
person is found or keyed by identity number through the parties plugin, so
one person keeps one profile however many rows and runs name them. No
``case_registered`` event fires: old cases need no notices, labels or agency
checks.
"""

from __future__ import annotations

from plugins.cases.legacy.checks import (
    CONFIDENTIAL_WORDS,
    IDENTITY_WORDS,
    LEGACY_SCHEME,
    ROLE_WORDS,
    STATUS_WORDS,
    CaseRow,
    ImportPlan,
    PartyRow,
    check_case_row,
    check_party_row,
    legacy_date,
    legacy_number,
    plan_import,
)
from plugins.cases.legacy.cli import import_legacy_command
from plugins.cases.legacy.exports import (
    CASE_COLUMNS,
    PARTY_COLUMNS,
    PARTY_OPTIONAL,
    Export,
    LegacyError,
    Reject,
    SourceRow,
    read_case_export,
    read_export,
    read_party_export,
    write_rejects,
)
from plugins.cases.legacy.writer import (
    DEFAULT_BATCH_SIZE,
    ImportSummary,
    import_legacy,
    keep_series_past,
    run_import,
)

__all__ = [
    "CASE_COLUMNS",
    "CONFIDENTIAL_WORDS",
    "DEFAULT_BATCH_SIZE",
    "IDENTITY_WORDS",
    "LEGACY_SCHEME",
    "PARTY_COLUMNS",
    "PARTY_OPTIONAL",
    "ROLE_WORDS",
    "STATUS_WORDS",
    "CaseRow",
    "Export",
    "ImportPlan",
    "ImportSummary",
    "LegacyError",
    "PartyRow",
    "Reject",
    "SourceRow",
    "check_case_row",
    "check_party_row",
    "import_legacy",
    "import_legacy_command",
    "keep_series_past",
    "legacy_date",
    "legacy_number",
    "plan_import",
    "read_case_export",
    "read_export",
    "read_party_export",
    "run_import",
    "write_rejects",
]
