"""``spkms demo``: a one-machine demo on SQLite with sample officers and data.

The demo database lives in the instance folder and is created when missing;
an existing one is reused (``init`` is idempotent), so a second start is fast.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask

from portal.extensions import db
from portal.models import Court, Judge, OfficerCourt

logger = logging.getLogger(__name__)

DEMO_PASSWORD_SUFFIX = "-demo"  # noqa: S105  (demo logins are printed anyway)


@dataclass(frozen=True)
class DemoOfficer:
    username: str
    first_name: str
    last_name: str
    role: str
    courts: tuple[str, ...]
    judge: bool = False

    @property
    def password(self) -> str:
        return f"{self.username}{DEMO_PASSWORD_SUFFIX}"

    def __str__(self) -> str:
        courts = ", ".join(self.courts) or "semua"
        return f"{self.username} / {self.password} / {self.role} / {courts}"


DEMO_OFFICERS = (
    DemoOfficer("admin", "Pentadbir", "Sistem", "Admin", ()),
    DemoOfficer("ketuapendaftar", "Aminah", "binti Yusof", "Chief Registrar", ()),
    DemoOfficer("pendaftar.kt", "Rosli", "bin Hamzah", "Registrar", ("11001",)),
    DemoOfficer("pendaftar.besut", "Zainab", "binti Ali", "Registrar", ("11002",)),
    DemoOfficer("pendaftar.mts", "Kamal", "bin Ismail", "Registrar", ("11100",)),
    DemoOfficer("hakim.kt", "Ahmad", "bin Abdullah", "Judge", ("11001",), judge=True),
    DemoOfficer(
        "hakim.kt2", "Nor Azman", "bin Salleh", "Judge", ("11001",), judge=True
    ),
    DemoOfficer(
        "hakim.besut", "Mohd Faiz", "bin Omar", "Judge", ("11002",), judge=True
    ),
    DemoOfficer("hakim.mts", "Hasnah", "binti Daud", "Judge", ("11100",), judge=True),
    DemoOfficer("hakim.hulu", "Zakaria", "bin Mamat", "Judge", ("11003",), judge=True),
    DemoOfficer(
        "hakim.kemaman", "Rozita", "binti Ngah", "Judge", ("11004",), judge=True
    ),
    DemoOfficer(
        "hakim.dungun", "Salleh", "bin Deraman", "Judge", ("11005",), judge=True
    ),
    DemoOfficer("hakim.setiu", "Halim", "bin Endut", "Judge", ("11006",), judge=True),
    DemoOfficer(
        "hakim.marang", "Latifah", "binti Muda", "Judge", ("11007",), judge=True
    ),
    DemoOfficer("kerani.kt", "Siti", "binti Musa", "Clerk", ("11001",)),
    DemoOfficer("kerani.kemaman", "Faridah", "binti Said", "Clerk", ("11004",)),
    DemoOfficer("juruwang.kt", "Hafiz", "bin Rahman", "Cashier", ("11001",)),
    DemoOfficer(
        "penyelia.kt",
        "Wan Aishah",
        "binti Wan Ali",
        "Collections Supervisor",
        ("11001",),
    ),
    DemoOfficer("rekod.kt", "Azlan", "bin Jusoh", "Records Officer", ("11001",)),
    DemoOfficer("rangkaian", "Nurul", "binti Hassan", "Links Officer", ()),
    DemoOfficer("juruaudit", "Razak", "bin Embong", "Auditor", ()),
)


def seed_officers(officers: tuple[DemoOfficer, ...] = DEMO_OFFICERS) -> None:
    """Create the sample officers, their postings and judge records (idempotent)."""
    from flask import current_app

    sm = current_app.appbuilder.sm
    courts = {c.code: c for c in db.session.scalars(sa.select(Court))}
    for officer in officers:
        user = sm.find_user(username=officer.username)
        if user is None:
            user = sm.add_user(
                username=officer.username,
                first_name=officer.first_name,
                last_name=officer.last_name,
                email=f"{officer.username}@demo.spkms.local",
                role=sm.find_role(officer.role),
                password=officer.password,
            )
            if not user:
                raise RuntimeError(f"could not create demo user {officer.username}")
        for code in officer.courts:
            court = courts[code]
            posted = db.session.scalar(
                sa.select(OfficerCourt).filter_by(user_id=user.id, court_id=court.id)
            )
            if posted is None:
                db.session.add(OfficerCourt(user_id=user.id, court_id=court.id))
        if (
            officer.judge
            and db.session.scalar(sa.select(Judge).filter_by(user_id=user.id)) is None
        ):
            db.session.add(
                Judge(user_id=user.id, court_id=courts[officer.courts[0]].id)
            )
    db.session.commit()


def prepare_demo() -> tuple[Flask, tuple[DemoOfficer, ...]]:
    """Build the app on the embedded default, run ``init``, add sample data."""
    from portal import create_app
    from portal.app import spkms
    from portal.provision import init

    app = create_app({"SPKMS_REDIS_URL": None})
    with app.app_context():
        init()
        seed_officers()
        profile = spkms().profile
        spkms().hook.spkms_demo_data(profile=profile, session=db.session)
        db.session.commit()
    return app, DEMO_OFFICERS
