"""Case documents: upload checked by content, download, and sealing one document."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy_continuum import version_class, versioning_manager

from plugins.cases import documents, services
from plugins.cases.models import Case, CaseStatus, Document, Sealing
from portal.audit.models import AccessLog
from portal.extensions import db
from portal.security import access
from tests.cases.conftest import act_as, registration
from tests.conftest import login, make_officer

PDF = b"%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(16) + b"\xff\xd9"
#: A Windows program: what a disguised executable starts with.
PROGRAM = b"MZ\x90\x00\x03" + bytes(59) + b"This program cannot be run in DOS mode.\r\n"


@dataclass
class Scene:
    """Officers of court 11001 (and one of 11004) shared by a backend's tests."""

    clerk: Any
    registrar: Any
    judge: Any
    outsider: Any


@pytest.fixture(scope="module")
def scene(app: Flask) -> Scene:
    return Scene(
        clerk=make_officer(app, "Clerk", ("11001",)),
        registrar=make_officer(app, "Registrar", ("11001",)),
        judge=make_officer(app, "Judge", ("11001",), judge=True),
        outsider=make_officer(app, "Clerk", ("11004",)),
    )


def case_here(app: Flask, user: Any, **extra: Any) -> Case:
    """Register a divorce claim at 11001 as ``user``, in the current context."""
    act_as(app, user)
    request = registration("11001", user=user, from_court="11001", **extra)
    return services.register_case(request)


def new_case(app: Flask, user: Any, **extra: Any) -> int:
    """Register a case in an app context of its own; return its id."""
    with app.app_context():
        return case_here(app, user, **extra).id


def upload(case: Case, user: Any, **changes: Any) -> Document:
    """File an affidavit (a small PDF) in ``case``, with ``changes``."""
    values: dict[str, Any] = {
        "doc_type": "Afidavit",
        "filename": "afidavit.pdf",
        "content_type": "application/pdf",
        "data": PDF,
        "sealed": Sealing.NONE,
        "uploaded_by_id": user.id,
    }
    values.update(changes)
    return documents.upload_document(case, **values)


def document_ids(case_id: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Document.id).where(Document.case_id == case_id).order_by("id")
        )
    )


def last_log_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(AccessLog.id))) or 0


def log_since(app: Flask, after: int, **where: Any) -> list[tuple[Any, ...]]:
    with app.app_context():
        statement = sa.select(
            AccessLog.table_name,
            AccessLog.record_id,
            AccessLog.action,
            AccessLog.allowed,
            AccessLog.user_id,
        ).where(AccessLog.id > after)
        for key, value in where.items():
            statement = statement.where(getattr(AccessLog, key) == value)
        return [tuple(row) for row in db.session.execute(statement)]


def form_upload(
    client: FlaskClient,
    case_id: int,
    data: bytes = PDF,
    filename: str = "afidavit.pdf",
    content_type: str = "application/pdf",
    **fields: str,
) -> Any:
    form = {"doc_type": "Afidavit", "sealed": Sealing.NONE, **fields}
    form["file"] = (io.BytesIO(data), filename, content_type)
    return client.post(
        f"/case-documents/upload/{case_id}",
        data=form,
        content_type="multipart/form-data",
    )


# --- upload and download through the screens ---------------------------------


def test_pdf_uploaded_on_the_case_page_downloads_byte_identical(
    app: Flask, client: FlaskClient, scene: Scene
) -> None:
    case_id = new_case(app, scene.clerk)
    login(client, scene.clerk.username)
    page = client.get(f"/cases/show/{case_id}")
    assert page.status_code == 200
    assert f'action="/case-documents/upload/{case_id}"' in page.text
    assert 'enctype="multipart/form-data"' in page.text

    response = form_upload(client, case_id, filename="Afidavit Plaintif.pdf")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/show/{case_id}")
    with app.app_context():
        (document_id,) = document_ids(case_id)
        document = db.session.get(Document, document_id)
        assert document.filename == "Afidavit Plaintif.pdf"
        assert document.content_type == "application/pdf"
        assert document.size_bytes == len(PDF)
        assert len(document.sha256) == 64
        assert document.uploaded_by_id == scene.clerk.id
    # The related list on the case page shows it.
    assert "Afidavit Plaintif.pdf" in client.get(f"/cases/show/{case_id}").text

    mark = last_log_id(app)
    download = client.get(f"/case-documents/download/{document_id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Afidavit Plaintif.pdf" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download.headers["Cache-Control"]
    assert log_since(app, mark) == [
        ("case_document", str(document_id), "download", True, scene.clerk.id)
    ]


def test_refused_upload_is_named_on_the_case_page(
    app: Flask, client: FlaskClient, scene: Scene
) -> None:
    case_id = new_case(app, scene.clerk)
    login(client, scene.clerk.username)
    response = form_upload(client, case_id, data=PROGRAM)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "file: is a Windows program (MZ)" in page.text
    with app.app_context():
        assert document_ids(case_id) == []


def test_another_courts_officer_gets_404_and_is_logged(
    app: Flask, client: FlaskClient, scene: Scene
) -> None:
    case_id = new_case(app, scene.clerk)
    with app.app_context():
        act_as(app, scene.clerk)
        document_id = upload(db.session.get(Case, case_id), scene.clerk).id
    login(client, scene.outsider.username)
    mark = last_log_id(app)
    denied = client.get(f"/case-documents/download/{document_id}")
    assert denied.status_code == 404
    assert PDF not in denied.data
    # Word for word what a document that exists nowhere gets.
    missing = client.get("/case-documents/download/999999")
    assert (missing.status_code, missing.data) == (404, denied.data)
    assert form_upload(client, case_id).status_code == 404
    assert form_upload(client, 999999).status_code == 404
    with app.app_context():
        assert document_ids(case_id) == [document_id]
    assert sorted(log_since(app, mark)) == [
        ("case_document", str(document_id), "download", False, scene.outsider.id),
        ("court_case", str(case_id), "upload", False, scene.outsider.id),
    ]


# --- the rules of an upload ----------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"doc_type": "Surat Cinta"}, "doc_type", "must be one of"),
        ({"data": PDF + bytes(4096)}, "file", "larger than the limit of 4 KB"),
        ({"data": b""}, "file", "is empty"),
        ({"data": b"Hello, this is plain text"}, "file", "not a PDF, JPEG or PNG"),
        ({"data": PROGRAM}, "file", "is a Windows program (MZ)"),
        ({"data": b"\x7fELF\x02\x01\x01" + bytes(9)}, "file", "Linux program"),
        ({"data": PNG}, "content_type", "declared application/pdf"),
        ({"filename": "afidavit.png"}, "filename", "must end in .pdf"),
        ({"filename": "afidavit.pdf.exe"}, "filename", "must end in .pdf"),
        ({"filename": "C:\\fakepath\\..\\\x00\x07"}, "filename", "is empty"),
        ({"sealed": "rahsia"}, "sealed", "must be one of"),
    ],
    ids=[
        "unknown-type",
        "too-big",
        "empty",
        "wrong-magic",
        "disguised-exe",
        "elf",
        "type-mismatch",
        "extension-mismatch",
        "double-extension",
        "no-name-left",
        "bad-sealing",
    ],
)
def test_refusals_are_named_and_write_nothing(
    app_ctx: Flask,
    scene: Scene,
    monkeypatch: pytest.MonkeyPatch,
    changes: dict[str, Any],
    field: str,
    words: str,
) -> None:
    monkeypatch.setitem(app_ctx.config, "SPKMS_DOCUMENT_MAX_BYTES", 4096)
    case = case_here(app_ctx, scene.clerk)
    with pytest.raises(services.CaseError) as refused:
        upload(case, scene.clerk, **changes)
    assert refused.value.field == field
    assert words in refused.value.rule
    db.session.rollback()
    assert document_ids(case.id) == []


def test_the_limit_is_10_mb_unless_configured(
    app_ctx: Flask, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(app_ctx.config, "SPKMS_DOCUMENT_MAX_BYTES", raising=False)
    assert documents.max_document_bytes() == 10 * 1024 * 1024
    case = case_here(app_ctx, scene.clerk)
    big = PDF + bytes(10 * 1024 * 1024 - len(PDF) + 1)
    with pytest.raises(services.CaseError) as refused:
        upload(case, scene.clerk, data=big)
    assert refused.value.rule == "is larger than the limit of 10 MB"


def test_names_are_cleaned_and_the_type_comes_from_the_contents(
    app_ctx: Flask, scene: Scene
) -> None:
    case = case_here(app_ctx, scene.clerk)
    # Path parts, a NUL and a right-to-left override go; the name stays.
    sneaky = upload(
        case, scene.clerk, filename="C:\\fakepath\\../af\x00i\u202edavit.pdf"
    )
    assert sneaky.filename == "afidavit.pdf"
    long_name = upload(case, scene.clerk, filename="a" * 300 + ".pdf")
    assert len(long_name.filename) == documents.MAX_FILENAME
    assert long_name.filename.endswith("a.pdf")
    scan = upload(
        case,
        scene.clerk,
        data=JPEG,
        filename="SCAN 0001.JPG",
        content_type="image/pjpeg",
        doc_type="Lain-lain",
    )
    assert scan.content_type == "image/jpeg"
    # A computer that knows no type sends octet-stream: contents decide.
    plan = upload(case, scene.clerk, data=PNG, filename="pelan.png", content_type="")
    assert plan.content_type == "image/png"
    assert plan.sha256 == hashlib.sha256(PNG).hexdigest()


def test_decided_cases_take_filings_withdrawn_ones_do_not(
    app_ctx: Flask, scene: Scene
) -> None:
    decided = case_here(app_ctx, scene.registrar)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    services.schedule_hearing(decided, "bicara", tomorrow)
    services.change_status(decided, CaseStatus.DECIDED)
    grounds = upload(decided, scene.registrar, doc_type="Alasan Penghakiman")
    assert grounds.id is not None

    withdrawn = case_here(app_ctx, scene.registrar)
    services.change_status(
        withdrawn, CaseStatus.WITHDRAWN, reason="Plaintif menarik balik"
    )
    with pytest.raises(services.CaseError) as refused:
        upload(withdrawn, scene.registrar)
    assert refused.value.field == "case"
    assert "Ditarik Balik" in refused.value.rule
    db.session.rollback()
    assert document_ids(withdrawn.id) == []


def test_uploading_to_a_case_out_of_scope_is_refused(
    app_ctx: Flask, scene: Scene
) -> None:
    case = case_here(app_ctx, scene.clerk)
    act_as(app_ctx, scene.outsider)
    with pytest.raises(access.OutOfScope):
        upload(case, scene.outsider)
    db.session.rollback()
    assert document_ids(case.id) == []


# --- sealing one document -------------------------------------------------------


def sealing_history(document_id: int) -> list[tuple[str, int | None]]:
    """(sealed, user id) of every version of a document, oldest first."""
    version = version_class(Document)
    transaction = versioning_manager.transaction_cls
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(version.sealed, transaction.user_id)
            .join(transaction, version.transaction_id == transaction.id)
            .where(version.id == document_id)
            .order_by(version.transaction_id)
        )
    ]


def case_version_count(case_id: int) -> int:
    version = version_class(Case)
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(version).where(version.id == case_id)
    )


def test_sealing_one_document_changes_only_that_document(
    app: Flask, client: FlaskClient, scene: Scene
) -> None:
    case_id = new_case(app, scene.clerk)
    with app.app_context():
        act_as(app, scene.clerk)
        case = db.session.get(Case, case_id)
        first, second, third = (upload(case, scene.clerk).id for _ in range(3))
        case_versions = case_version_count(case_id)

    login(client, scene.registrar.username)
    shown = client.get(f"/case-documents/show/{second}")
    assert f'action="/case-documents/seal/{second}"' in shown.text
    assert f'href="/case-documents/download/{second}"' in shown.text
    sealed = client.post(f"/case-documents/seal/{second}", data={"sealed": "pihak"})
    assert sealed.status_code == 302
    # The form offers the level the document has now.
    again = client.get(f"/case-documents/show/{second}").text
    assert 'value="pihak" selected' in again
    assert "Dimeterai dari pihak" in again
    bad = client.post(f"/case-documents/seal/{third}", data={"sealed": "rahsia"})
    assert "sealed: must be one of" in client.get(bad.headers["Location"]).text

    judge = app.test_client()
    login(judge, scene.judge.username)
    assert (
        judge.post(f"/case-documents/seal/{third}", data={"sealed": "awam"})
    ).status_code == 302
    # A judge seals, but does not file.
    form_upload(judge, case_id)
    # A clerk files, but does not seal.
    clerk = app.test_client()
    login(clerk, scene.clerk.username)
    clerk.post(f"/case-documents/seal/{first}", data={"sealed": "pihak"})

    with app.app_context():
        levels = dict(
            db.session.execute(
                sa.select(Document.id, Document.sealed).where(
                    Document.case_id == case_id
                )
            ).all()
        )
        assert levels == {
            first: Sealing.NONE,
            second: Sealing.PARTIES,
            third: Sealing.PUBLIC,
        }
        case = db.session.get(Case, case_id)
        assert case.confidential is False
        assert case_version_count(case_id) == case_versions
        assert sealing_history(second) == [
            (Sealing.NONE, scene.clerk.id),
            (Sealing.PARTIES, scene.registrar.id),
        ]
        assert sealing_history(third) == [
            (Sealing.NONE, scene.clerk.id),
            (Sealing.PUBLIC, scene.judge.id),
        ]
        assert sealing_history(first) == [(Sealing.NONE, scene.clerk.id)]


def test_visible_documents_by_audience(app_ctx: Flask, scene: Scene) -> None:
    case = case_here(app_ctx, scene.clerk)
    open_doc, from_public, from_parties = (
        upload(case, scene.clerk, sealed=level).id
        for level in (Sealing.NONE, Sealing.PUBLIC, Sealing.PARTIES)
    )

    def seen(audience: str) -> list[int]:
        return [d.id for d in documents.visible_documents(case, audience)]

    assert seen("officer") == [open_doc, from_public, from_parties]
    assert seen("party") == [open_doc, from_public]
    assert seen("public") == [open_doc]
    act_as(app_ctx, scene.outsider)
    assert seen("officer") == []
    with pytest.raises(services.CaseError) as refused:
        seen("jiran")
    assert refused.value.field == "audience"

    # A confidential (sulit) case shows the public nothing at all.
    sealed_case = case_here(app_ctx, scene.registrar, confidential=True)
    upload(sealed_case, scene.registrar)
    assert documents.visible_documents(sealed_case, "public") == []
    assert len(documents.visible_documents(sealed_case, "party")) == 1
