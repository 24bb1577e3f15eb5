"""The two export files of the first SPKMS, read as they are, and the report.

``kes.csv`` holds one row per case and ``pihak.csv`` one row per party of a
case (``docs/legacy-import.md`` lists the columns). Reading keeps each row's
line number so that every refusal can say where it was; the rejects report
gives the file, the line, the column, the rule and the row as read.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

#: Tried in this order; the first that decodes the whole file is used.
ENCODINGS = ("utf-8-sig", "cp1252")

CASE_FILE = "kes"
PARTY_FILE = "pihak"
CASE_COLUMNS = (
    "no_kes",
    "kod_mahkamah",
    "kod_jenis_kes",
    "tarikh_daftar",
    "tajuk",
    "status",
    "sulit",
)
PARTY_COLUMNS = ("no_kes", "peranan", "nama", "jenis_pengenalan", "no_pengenalan")
#: Columns of ``pihak.csv`` that an export may leave out altogether.
PARTY_OPTIONAL = ("warganegara", "tarikh_lahir", "telefon", "alamat")


class LegacyError(ValueError):
    """A file or a row breaks a rule; ``field`` names the column, ``rule`` why."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


@dataclass(frozen=True)
class SourceRow:
    """One record of an export, with the line it starts on (the header is 1)."""

    kind: str
    source: str
    line: int
    cells: tuple[str, ...]
    values: dict[str, str]


@dataclass(frozen=True)
class Reject:
    """A row left out of the import, and why: shown and written to the report."""

    kind: str
    source: str
    line: int
    field: str
    rule: str
    cells: tuple[str, ...]

    @property
    def reason(self) -> str:
        return f"{self.field}: {self.rule}"

    @classmethod
    def of(cls, row: SourceRow, field: str, rule: str) -> Reject:
        return cls(row.kind, row.source, row.line, field, rule, row.cells)


@dataclass(frozen=True)
class Export:
    """A decoded export file: its rows, the encoding used, rows of the wrong shape."""

    kind: str
    name: str
    encoding: str
    rows: tuple[SourceRow, ...]
    rejects: tuple[Reject, ...]


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """The text of a file and the encoding it was read as, said in words."""
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            logger.info("legacy export %s is not %s text", name, encoding)
            continue
        if encoding == "cp1252":
            logger.warning("legacy export %s is not UTF-8; read as Windows-1252", name)
            return text, "Windows-1252"
        bom = data.startswith(codecs.BOM_UTF8)
        return text, "UTF-8 with BOM" if bom else "UTF-8"
    raise LegacyError(name, "is neither UTF-8 nor Windows-1252 text")


def read_export(
    path: Path,
    kind: str,
    columns: Sequence[str],
    optional: Sequence[str] = (),
) -> Export:
    """Decode an export and split it into rows keyed by column name.

    Column names are matched without regard to case or surrounding spaces;
    columns the import does not use are ignored. Blank lines are skipped. A
    row with more or fewer values than the header becomes a ``Reject``. A file
    that cannot be read, decoded or lacks a column raises ``LegacyError``.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LegacyError(path.name, f"cannot be read ({exc.strerror})") from exc
    text, encoding = _decode(data, path.name)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise LegacyError(
            path.name, "is empty; its first line must name the columns"
        ) from None
    except csv.Error as exc:
        raise LegacyError(path.name, f"line 1 is not CSV ({exc})") from exc
    missing = [name for name in columns if name not in header]
    if missing:
        raise LegacyError(path.name, f"has no column {', '.join(missing)}")
    twice = sorted({name for name in header if name and header.count(name) > 1})
    if twice:
        raise LegacyError(path.name, f"names the column {', '.join(twice)} twice")
    unused = set(header) - set(columns) - set(optional)
    if unused:
        logger.info("legacy export %s: ignoring columns %s", path.name, sorted(unused))
    rows: list[SourceRow] = []
    rejects: list[Reject] = []
    ended = reader.line_num
    try:
        for cells in reader:
            line, ended = ended + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            row = SourceRow(kind, path.name, line, tuple(cells), {})
            if len(cells) != len(header):
                rejects.append(
                    Reject.of(
                        row,
                        "row",
                        f"has {len(cells)} values; the header names {len(header)}"
                        " columns",
                    )
                )
                continue
            values = dict.fromkeys(optional, "")
            values.update(zip(header, cells, strict=True))
            rows.append(SourceRow(kind, path.name, line, tuple(cells), values))
    except csv.Error as exc:
        raise LegacyError(
            path.name, f"line {reader.line_num} is not CSV ({exc})"
        ) from exc
    logger.info(
        "legacy export read: %s rows=%d encoding=%s", path.name, len(rows), encoding
    )
    return Export(kind, path.name, encoding, tuple(rows), tuple(rejects))


def read_case_export(path: Path) -> Export:
    """``kes.csv``: see ``read_export``."""
    return read_export(path, CASE_FILE, CASE_COLUMNS)


def read_party_export(path: Path) -> Export:
    """``pihak.csv``: see ``read_export``."""
    return read_export(path, PARTY_FILE, PARTY_COLUMNS, PARTY_OPTIONAL)


def write_rejects(path: Path, rejects: Sequence[Reject]) -> None:
    """Write the rejects report: file, line, column, rule and the row as read.

    UTF-8 with a BOM, so that a spreadsheet opens the Malay names correctly;
    ``row`` holds the original values as one CSV line, ready to correct.
    """
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source_file", "line", "field", "reason", "row"])
        for reject in rejects:
            writer.writerow(
                [
                    reject.source,
                    reject.line,
                    reject.field,
                    reject.reason,
                    _csv_line(reject.cells),
                ]
            )


def _csv_line(cells: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()
