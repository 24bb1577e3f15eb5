"""Documents of a case: upload, download and sealing of single documents.

Family cases need some filings kept from the public or even from the other
party (a medical report, a child's school record) while the case itself stays
open to view; a document is therefore sealed on its own (``Sealing``), and
sealing one never seals its case or its other documents.

The rules (``upload_document``, ``change_sealing``, ``visible_documents``) are
free of request objects, so the e-filing screens, the API and the public status
page can call them too. ``DocumentFileView`` is the officers' screen side:
upload from the case page, download, and the sealing change.

A file is accepted by what it *is*, not by what it is called: its first bytes
must be those of a PDF, JPEG or PNG, and its declared type and extension must
agree with them, so a program renamed ``afidavit.pdf`` never reaches a judge's
desktop. Downloads go out as attachments with ``nosniff``, so a browser never
renders an uploaded file inside the portal's own pages.
"""

# TODO(i18n): the document screens' labels and messages are Malay only.
from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, flash, g, redirect, request, send_file
from flask_appbuilder import AppBuilder, BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name

from plugins.cases.models import Case, CaseStatus, Document, Sealing
from plugins.cases.services import CaseError
from portal.audit.access_log import record_access
from portal.extensions import db
from portal.security import access

logger = logging.getLogger(__name__)

#: The kinds of document a court files, by their Malay names (stored as is).
DOCUMENT_TYPES = (
    "Penyata Tuntutan",
    "Notis Permohonan",
    "Afidavit",
    "Saman",
    "Perintah",
    "Alasan Penghakiman",
    "Lain-lain",
)

#: Upload limit when ``SPKMS_DOCUMENT_MAX_BYTES`` is not set: 10 MB.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

#: Longest stored file name (the column's width).
MAX_FILENAME = 200

#: Cases that still take filings: open ones, and decided ones, whose written
#: grounds (Alasan Penghakiman) and sealed order (Perintah) follow the
#: decision. A withdrawn or struck-out case ends without a judgment, its reason
#: is kept on the case; a transferred case goes on under the receiving court's
#: number, and its filings belong there.
FILING_STATUSES = CaseStatus.OPEN | {CaseStatus.DECIDED}

#: Who looks at a case's documents, and which sealing levels each may see.
#: ``None``: every level (officers whom the access check lets see the case).
AUDIENCES: dict[str, frozenset[str] | None] = {
    "officer": None,
    "party": frozenset({Sealing.NONE, Sealing.PUBLIC}),
    "public": frozenset({Sealing.NONE}),
}


@dataclass(frozen=True)
class FileKind:
    """A kind of file the courts accept, known by its first bytes."""

    name: str
    magic: bytes
    content_type: str
    #: Other content types browsers and scanners send for the same kind.
    aliases: frozenset[str]
    extensions: frozenset[str]


ACCEPTED_KINDS = (
    FileKind(
        "PDF",
        b"%PDF-",
        "application/pdf",
        frozenset({"application/x-pdf"}),
        frozenset({".pdf"}),
    ),
    FileKind(
        "JPEG",
        b"\xff\xd8\xff",
        "image/jpeg",
        frozenset({"image/jpg", "image/pjpeg"}),
        frozenset({".jpg", ".jpeg"}),
    ),
    FileKind(
        "PNG",
        b"\x89PNG\r\n\x1a\n",
        "image/png",
        frozenset({"image/x-png"}),
        frozenset({".png"}),
    ),
)

#: First bytes of files that are refused by name, so the clerk is told what
#: the file really is (a program dressed up as a PDF is the case to catch).
REFUSED_SIGNATURES = (
    (b"MZ", "a Windows program (MZ)"),
    (b"\x7fELF", "a Linux program (ELF)"),
    (b"\xfe\xed\xfa\xce", "a macOS program (Mach-O)"),
    (b"\xfe\xed\xfa\xcf", "a macOS program (Mach-O)"),
    (b"\xce\xfa\xed\xfe", "a macOS program (Mach-O)"),
    (b"\xcf\xfa\xed\xfe", "a macOS program (Mach-O)"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java program"),
    (b"#!", "a script (#!)"),
    (b"PK\x03\x04", "a ZIP archive (Office files and programs come as these)"),
)

#: Content types that say nothing about the file: the extension and the first
#: bytes decide alone (browsers send these when the computer knows no type).
UNDECLARED_TYPES = frozenset({"", "application/octet-stream"})

#: Characters Windows does not allow in a file name; replaced on download too.
_UNSAFE_CHARACTERS = re.compile(r'[<>:"|?*]')


# --- rules ------------------------------------------------------------------


def max_document_bytes() -> int:
    """The upload limit in bytes, from ``SPKMS_DOCUMENT_MAX_BYTES``."""
    return int(current_app.config.get("SPKMS_DOCUMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g} MB"
    if size >= 1024:
        return f"{size / 1024:.3g} KB"
    return f"{size} bytes"


def clean_filename(raw: str | None) -> str:
    """The name to keep for an uploaded file, or ``""`` if none is left.

    Keeps only the last path part (some browsers send ``C:\\fakepath\\x.pdf``),
    drops control and formatting characters (a right-to-left override can make
    ``fdp.exe`` read as ``exe.pdf``), replaces characters Windows refuses,
    and shortens the stem so the name fits the column with its extension.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_CHARACTERS.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) < 10:
            keep = MAX_FILENAME - len(extension) - 1
            name = f"{stem[:keep].rstrip(' .')}.{extension}"
        else:
            name = name[:MAX_FILENAME].rstrip(" .")
    return name


def sniff(data: bytes) -> FileKind:
    """The accepted kind ``data`` is, by its first bytes; ``CaseError`` if none."""
    for kind in ACCEPTED_KINDS:
        if data.startswith(kind.magic):
            return kind
    for signature, what in REFUSED_SIGNATURES:
        if data.startswith(signature):
            raise CaseError(
                "file", f"is {what}, not a PDF, JPEG or PNG document: refused"
            )
    raise CaseError(
        "file", "is not a PDF, JPEG or PNG document (its contents say otherwise)"
    )


def _check_kind(data: bytes, content_type: str, filename: str) -> FileKind:
    """The file's kind, checked against its declared type and its extension."""
    kind = sniff(data)
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in UNDECLARED_TYPES and declared not in {
        kind.content_type,
        *kind.aliases,
    }:
        raise CaseError(
            "content_type",
            f"the file is declared {declared[:60]} but its contents are a {kind.name}",
        )
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if filename and f".{extension}" not in kind.extensions:
        names = " or ".join(sorted(kind.extensions))
        raise CaseError(
            "filename", f"the file is a {kind.name}, so its name must end in {names}"
        )
    return kind


def upload_document(
    case: Case,
    *,
    doc_type: str,
    filename: str,
    content_type: str,
    data: bytes,
    sealed: str = Sealing.NONE,
    uploaded_by_id: int | None,
) -> Document:
    """File a document in ``case`` and commit; return it.

    The officer must be allowed to see the case (``OutOfScope`` otherwise,
    logged as a denied upload) and the case must still take filings
    (``FILING_STATUSES``). Then the document type, the size
    (``SPKMS_DOCUMENT_MAX_BYTES``, empty files refused), the kind of file by
    its contents, the file name and the sealing level are checked in that
    order; the first that fails raises ``CaseError`` and nothing is written.
    The stored content type is the one the contents prove, not the declared
    one, and the size and SHA-256 are kept to show the file is unchanged.
    """
    access.check(case, action="upload")
    try:
        if case.status not in FILING_STATUSES:
            raise CaseError(
                "case", f"is {case.status_label}: documents can no longer be filed"
            )
        if doc_type not in DOCUMENT_TYPES:
            raise CaseError("doc_type", f"must be one of: {', '.join(DOCUMENT_TYPES)}")
        limit = max_document_bytes()
        if not data:
            raise CaseError("file", "is empty")
        if len(data) > limit:
            raise CaseError("file", f"is larger than the limit of {_size_text(limit)}")
        name = clean_filename(filename)
        kind = _check_kind(data, content_type, name)
        if not name:
            raise CaseError(
                "filename", "is empty once path parts and control characters go"
            )
        if sealed not in Sealing.LABELS:
            raise CaseError("sealed", f"must be one of: {', '.join(Sealing.LABELS)}")
    except CaseError as refused:
        logger.info(
            "document refused: %s case=%s %s",
            case.case_number,
            case.id,
            refused,
        )
        raise
    document = Document(
        case_id=case.id,
        doc_type=doc_type,
        filename=name,
        content_type=kind.content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        sealed=sealed,
        uploaded_by_id=uploaded_by_id,
    )
    db.session.add(document)
    db.session.commit()
    logger.info(
        "document filed: %s document=%s %s %s %d bytes sha256=%s sealed=%s by=%s",
        case.case_number,
        document.id,
        doc_type,
        kind.name,
        document.size_bytes,
        document.sha256,
        sealed,
        uploaded_by_id,
    )
    return document


def change_sealing(document: Document, sealed: str) -> Document:
    """Set how far one document is sealed, and commit.

    Only this document changes: its case's confidentiality and the case's
    other documents stay as they are. The change is versioned with the officer
    and address (Continuum), which is how the trail shows who sealed what.
    Who may call it is decided by the permission on the screen (registrars and
    judges); the officer must also be allowed to see the document.
    """
    access.check(document, action="seal")
    if sealed not in Sealing.LABELS:
        raise CaseError("sealed", f"must be one of: {', '.join(Sealing.LABELS)}")
    old = document.sealed
    if old == sealed:
        return document
    document.sealed = sealed
    db.session.commit()
    logger.info(
        "document sealing: %s document=%s %s -> %s",
        document.case.case_number,
        document.id,
        old,
        sealed,
    )
    return document


def visible_documents(case: Case, audience: str) -> list[Document]:
    """The documents of ``case`` that ``audience`` may know of, oldest first.

    ``"officer"``: all of them, if the access check lets the current officer
    see the case, else none. ``"party"``: all but those sealed from the
    parties. ``"public"``: only unsealed ones, and none at all of a
    confidential case. The party and public lists do not ask the access check
    (it sees no one who is not logged in as an officer): their pages decide
    who is a party, and should show titles only, never contents.
    """
    if audience not in AUDIENCES:
        raise CaseError("audience", f"must be one of: {', '.join(AUDIENCES)}")
    statement = (
        sa.select(Document)
        .where(Document.case_id == case.id)
        .order_by(Document.created_at, Document.id)
    )
    shown = AUDIENCES[audience]
    if shown is None:
        statement = access.scoped(statement, Document)
    else:
        if audience == "public" and case.confidential:
            return []
        statement = statement.where(Document.sealed.in_(sorted(shown)))
    return list(db.session.scalars(statement))


# --- screens ----------------------------------------------------------------


class DocumentFileView(BaseView):
    """Upload (from the case page), download and sealing of case documents."""

    route_base = "/case-documents"
    base_permissions = ["can_upload", "can_download", "can_seal"]

    def _not_found(self) -> Any:
        """The page of a record that does not exist, or may not be seen."""
        return self.render_template("spkms/not_found.html"), 404

    @expose("/upload/<int:case_id>", methods=["POST"])
    @has_access
    @permission_name("upload")
    def upload(self, case_id: int) -> Any:
        """File the form's document in the case; back to the case page."""
        case = db.session.get(Case, case_id)
        if case is None:
            return self._not_found()
        received = request.files.get("file")
        # Read one byte past the limit: enough to refuse, never the whole body.
        data = received.stream.read(max_document_bytes() + 1) if received else b""
        try:
            document = upload_document(
                case,
                doc_type=request.form.get("doc_type", ""),
                filename=(received.filename or "") if received else "",
                content_type=received.mimetype if received else "",
                data=data,
                sealed=request.form.get("sealed", Sealing.NONE),
                uploaded_by_id=g.user.id,
            )
        except access.OutOfScope:
            db.session.rollback()
            return self._not_found()
        except CaseError as refused:
            db.session.rollback()
            flash(str(refused), "danger")
        else:
            flash(
                f"{document.doc_type} ({document.filename}) dimuat naik ke"
                f" {case.case_number}",
                "success",
            )
        return redirect(f"/cases/show/{case_id}")

    @expose("/download/<int:pk>")
    @has_access
    @permission_name("download")
    def download(self, pk: int) -> Any:
        """Send the stored file as an attachment; the read is logged."""
        document = db.session.get(Document, pk)
        if document is None:
            return self._not_found()
        try:
            access.check(document, action="download")
        except access.OutOfScope:
            return self._not_found()
        record_access(Document.__tablename__, pk, action="download", allowed=True)
        logger.info(
            "document download: %s document=%s user=%s",
            document.case.case_number,
            pk,
            g.user.id,
        )
        response = send_file(
            io.BytesIO(document.content),
            mimetype=document.content_type,
            as_attachment=True,
            download_name=document.filename,
            conditional=False,
            etag=False,
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        # A sealed filing must not stay behind in a shared or proxy cache.
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/seal/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("seal")
    def seal(self, pk: int) -> Any:
        """Change the sealing level of one document; back to its page."""
        document = db.session.get(Document, pk)
        if document is None:
            return self._not_found()
        try:
            change_sealing(document, request.form.get("sealed", ""))
        except access.OutOfScope:
            db.session.rollback()
            return self._not_found()
        except CaseError as refused:
            db.session.rollback()
            flash(str(refused), "danger")
        else:
            label = Sealing.LABELS[document.sealed]
            flash(f"{document.doc_type} ({document.filename}): {label}", "success")
        return redirect(f"/case-documents/show/{pk}")


def register(appbuilder: AppBuilder) -> None:
    """Add the document screens (reached from the case and document pages)."""
    appbuilder.add_view_no_menu(DocumentFileView)
