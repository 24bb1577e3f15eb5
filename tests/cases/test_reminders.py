"""The charter's reminders on cases: warning, overdue and escalation, once each.

The clock is set by the run's date; messages go to the inbox and, through a
real SMTP server on loopback, by e-mail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from plugins.cases import services
from plugins.cases.models import Case, CaseStatus, Document, Hearing, HearingKind
from portal.extensions import db
from portal.models import Judge
from portal.notifications import Notification, NotificationDelivery
from portal.reminders.engine import run_reminders
from tests.cases.conftest import act_as, registration
from tests.conftest import login, make_officer
from tests.mail import smtp_server

COURT = "11003"
REGISTERED = date(2026, 1, 5)  # a Monday; divorce claims (055) have 180 days


def _register(app: Flask, clerk: Any, judge: Any, **extra: Any) -> Case:
    """A divorce claim at COURT, registered on REGISTERED, heard by ``judge``."""
    with app.app_context():
        act_as(app, clerk)
        case = services.register_case(
            registration(COURT, user=clerk, from_court=COURT, **extra)
        )
        case.registered_at = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # 09:00 MYT
        case.judge_id = db.session.scalar(
            sa.select(Judge.id).where(Judge.user_id == judge.id)
        )
        db.session.commit()
        db.session.refresh(case)
        db.session.expunge(case)
        return case


def _inbox(app: Flask, user: Any, case_number: str) -> list[str]:
    """The reminders ``user`` received about the case (not its other news)."""
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Notification.subject)
                .where(
                    Notification.user_id == user.id,
                    Notification.subject.endswith(f" - {case_number}"),
                )
                .order_by(Notification.id)
            )
        )


@pytest.fixture(scope="module")
def people(app: Flask) -> dict[str, Any]:
    return {
        "clerk": make_officer(app, "Clerk", (COURT,)),
        "judge": make_officer(app, "Judge", (COURT,), judge=True),
        "registrar": make_officer(app, "Registrar", (COURT,)),
        "chief": make_officer(app, "Chief Registrar", ("11000",)),
        "elsewhere": make_officer(app, "Registrar", ("11005",)),
    }


def test_an_unresolved_case_crosses_each_level_and_each_person_hears_once(
    app: Flask, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _register(app, people["clerk"], people["judge"])
    number = case.case_number

    def run(day: date) -> dict[str, int]:
        with app.app_context():
            report = run_reminders(day, only="cases.unresolved")
        assert not report.failed
        return report.sent["cases.unresolved"]

    with smtp_server() as mailbox:
        monkeypatch.setitem(app.config, "SPKMS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setitem(app.config, "SPKMS_SMTP_PORT", mailbox.port)
        deadline = REGISTERED + timedelta(days=180)

        run(deadline - timedelta(days=31))  # a day before the warning
        assert _inbox(app, people["judge"], number) == []

        run(deadline - timedelta(days=30))  # warning: the judge only
        run(deadline - timedelta(days=30))  # the same day again: nothing new
        run(deadline - timedelta(days=1))
        assert _inbox(app, people["judge"], number) == [
            f"Amaran: Kes belum selesai - {number}"
        ]
        assert _inbox(app, people["registrar"], number) == []

        run(deadline)  # overdue: the judge and the court's registrar
        run(deadline + timedelta(days=29))
        run(deadline + timedelta(days=30))  # escalation: and the chief registrar
        run(deadline + timedelta(days=31))

        late = f"Lewat tempoh: Kes belum selesai - {number}"
        up = f"Eskalasi: Kes belum selesai - {number}"
        assert _inbox(app, people["judge"], number) == [
            f"Amaran: Kes belum selesai - {number}",
            late,
            up,
        ]
        assert _inbox(app, people["registrar"], number) == [late, up]
        assert _inbox(app, people["chief"], number) == [up]
        assert _inbox(app, people["elsewhere"], number) == []

        # The same messages, once each, by e-mail.
        for who, expected in (("judge", 3), ("registrar", 2), ("chief", 1)):
            mails = mailbox.to(people[who].email, number)
            assert len(mails) == expected, who
        (escalated,) = mailbox.to(people["chief"].email, number)
        assert "lewat 30 hari" in escalated.get_payload()
        assert f"/cases/show/{case.id}" in escalated.get_payload()
        assert mailbox.to(people["elsewhere"].email, number) == []


def test_a_decided_case_without_its_written_order_is_warned_until_it_is_uploaded(
    app: Flask, people: dict[str, Any]
) -> None:
    case = _register(app, people["clerk"], people["judge"])
    decided_at = datetime(2026, 2, 2, 2, 0, tzinfo=UTC)
    with app.app_context():
        row = db.session.get(Case, case.id)
        row.status, row.closed_at = CaseStatus.DECIDED, decided_at
        db.session.commit()
        report = run_reminders(date(2026, 2, 16), only="cases.order_not_extracted")
        assert report.sent["cases.order_not_extracted"]["overdue"] >= 1
    assert _inbox(app, people["judge"], case.case_number) == [
        f"Lewat tempoh: Perintah bertulis belum dikeluarkan - {case.case_number}"
    ]

    other = _register(app, people["clerk"], people["judge"])
    with app.app_context():
        row = db.session.get(Case, other.id)
        row.status, row.closed_at = CaseStatus.DECIDED, decided_at
        db.session.add(
            Document(
                case_id=other.id,
                doc_type="Perintah",
                filename="perintah.pdf",
                content_type="application/pdf",
                size_bytes=4,
                sha256="0" * 64,
                content=b"%PDF",
            )
        )
        db.session.commit()
        run_reminders(date(2026, 3, 30), only="cases.order_not_extracted")
    assert _inbox(app, people["judge"], other.case_number) == []


def test_working_days_skip_terengganu_weekend_for_a_hearing_date(
    app: Flask, people: dict[str, Any]
) -> None:
    """Registered on Thursday 3 December: due the next working day, Sunday."""
    case = _register(app, people["clerk"], people["judge"])
    with app.app_context():
        row = db.session.get(Case, case.id)
        row.registered_at = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
        db.session.commit()
        for day in (date(2026, 12, 4), date(2026, 12, 5)):  # Friday, Saturday
            run_reminders(day, only="cases.no_hearing_date")
        assert _inbox(app, people["registrar"], case.case_number) == []
        run_reminders(date(2026, 12, 6), only="cases.no_hearing_date")
    assert _inbox(app, people["registrar"], case.case_number) == [
        f"Lewat tempoh: Tarikh perbicaraan belum ditetapkan - {case.case_number}"
    ]
    assert _inbox(app, people["judge"], case.case_number) == []  # not told

    fixed = _register(app, people["clerk"], people["judge"])
    with app.app_context():
        row = db.session.get(Case, fixed.id)
        row.registered_at = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
        db.session.add(
            Hearing(
                case_id=fixed.id,
                kind=HearingKind.MENTION,
                starts_at=datetime(2026, 12, 20, 1, 0, tzinfo=UTC),
            )
        )
        db.session.commit()
        run_reminders(date(2026, 12, 9), only="cases.no_hearing_date")
    assert _inbox(app, people["registrar"], fixed.case_number) == []


def test_a_failed_email_is_retried_and_never_holds_up_the_inbox(
    app: Flask, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.jobs.models import OutboxJob
    from portal.jobs.runner import execute_outbox_job
    from tests.mail import free_port

    case = _register(app, people["clerk"], people["judge"])
    port = free_port()  # nothing listens there yet: the mail server is down
    monkeypatch.setitem(app.config, "SPKMS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SPKMS_SMTP_PORT", port)
    with app.app_context():
        run_reminders(date(2026, 6, 10), only="cases.unresolved")
    (subject,) = _inbox(app, people["judge"], case.case_number)
    with app.app_context():
        note_id = db.session.scalar(
            sa.select(Notification.id).where(
                Notification.user_id == people["judge"].id,
                Notification.subject == subject,
            )
        )
        failed = db.session.scalars(
            sa.select(NotificationDelivery).where(
                NotificationDelivery.notification_id == note_id
            )
        ).one()
        assert failed.delivered_at is None and "Connection" in failed.last_error
        job = db.session.scalars(
            sa.select(OutboxJob)
            .where(OutboxJob.name == "notifications.deliver")
            .order_by(OutboxJob.id.desc())
        ).first()
        assert job.state == "failed"
        job_id = job.id

    def retry_now() -> str:
        with app.app_context():
            db.session.execute(
                sa.update(OutboxJob)
                .where(OutboxJob.id == job_id)
                .values(available_at=datetime(2000, 1, 1, tzinfo=UTC))
            )
            db.session.commit()
        return execute_outbox_job(app, job_id)

    with smtp_server(port) as mailbox:
        assert retry_now() == "done"
        assert retry_now() == "skipped"  # done jobs do not run again
        with app.app_context():
            delivered = db.session.scalars(
                sa.select(NotificationDelivery).where(
                    NotificationDelivery.notification_id == note_id
                )
            ).one()
            assert delivered.delivered_at is not None and delivered.attempts == 2
    assert len(mailbox.to(people["judge"].email, case.case_number)) == 1


def test_the_deadlines_list_shows_a_judge_their_cases_latest_first(
    app: Flask, people: dict[str, Any]
) -> None:
    older = _register(app, people["clerk"], people["judge"])
    newer = _register(app, people["clerk"], people["judge"])
    with app.app_context():
        db.session.get(Case, older.id).registered_at = datetime(2025, 1, 6, tzinfo=UTC)
        db.session.get(Case, newer.id).registered_at = datetime(2025, 6, 2, tzinfo=UTC)
        db.session.commit()
    judge = app.test_client()
    login(judge, people["judge"].username)
    page = judge.get("/deadlines/").text
    assert older.case_number in page and newer.case_number in page
    assert page.index(older.case_number) < page.index(newer.case_number)
    csv_text = judge.get("/deadlines/csv").text
    assert csv_text.splitlines()[0].startswith("Perkara,Rujukan")
    assert older.case_number in csv_text

    outsider = app.test_client()
    login(outsider, people["elsewhere"].username)
    assert older.case_number not in outsider.get("/deadlines/").text
    clerk = app.test_client()
    login(clerk, people["clerk"].username)
    assert clerk.get("/deadlines/").status_code in (302, 403)


def test_the_menu_shows_unread_messages_and_opening_one_marks_it_read(
    app: Flask, people: dict[str, Any]
) -> None:
    from portal.notifications import notify

    with app.app_context():
        notify([people["chief"].id], "Ujian peti masuk", link="/deadlines/")
        db.session.commit()
        note_id = db.session.scalar(
            sa.select(Notification.id).where(
                Notification.user_id == people["chief"].id,
                Notification.subject == "Ujian peti masuk",
            )
        )
        unread = db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == people["chief"].id,
                Notification.read_at.is_(None),
            )
        )
    chief = app.test_client()
    login(chief, people["chief"].username)
    page = chief.get("/deadlines/").text
    assert f'<span class="badge" id="inbox-unread">{unread}</span>' in page
    opened = chief.get(f"/inbox/open/{note_id}")
    assert opened.status_code == 302 and opened.headers["Location"] == "/deadlines/"
    page = chief.get("/deadlines/").text
    expected = f'id="inbox-unread">{unread - 1}</span>' if unread > 1 else None
    assert (expected in page) if expected else 'id="inbox-unread"' not in page
