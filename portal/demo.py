"""``spkms demo``: a one-machine demo on SQLite with sample officers and data.

The demo database lives in the instance folder and is created when missing;
an existing one is reused (``init`` is idempotent), so a second start is fast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
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


def seed_officers(
    officers: tuple[DemoOfficer, ...] = DEMO_OFFICERS, *, password_hash: str = ""
) -> None:
    """Create the sample officers, their postings and judge records (idempotent).

    ``password_hash`` gives every new officer that one password, hashed once:
    hashing is slow on purpose, and the scale data set adds dozens.
    """
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
                password="" if password_hash else officer.password,
                hashed_password=password_hash,
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


def prepare_demo(
    scale: float | None = None, *, on_rows: Callable[[int], None] | None = None
) -> tuple[Flask, tuple[DemoOfficer, ...]]:
    """Build the app, run ``init``, add sample data.

    Without ``scale`` the plugins add their few hundred sample records the
    ordinary way. With it, the bulk data set of that scale is loaded instead
    (``portal.scale``), once: a database that already holds cases is left
    as it is, because a second load would double the state's caseload.
    """
    from portal import create_app
    from portal.app import spkms
    from portal.provision import init

    app = create_app({"SPKMS_REDIS_URL": None})
    with app.app_context():
        init()
        seed_officers()
        if scale is None:
            profile = spkms().profile
            spkms().hook.spkms_demo_data(profile=profile, session=db.session)
            db.session.commit()
        elif _has_cases():
            logger.warning("scale data set skipped: the database already has cases")
        else:
            from portal.scale.loader import load_scale

            load_scale(db.session, scale, on_rows=on_rows)
    return app, DEMO_OFFICERS


def _has_cases() -> bool:
    from plugins.cases.models import Case

    return db.session.scalar(sa.select(Case.id).limit(1)) is not None
