"""Packaging for SPKMS, the Syariah court case management portal."""

from setuptools import find_packages, setup

setup(
    name="spkms",
    version="0.1.0",
    description="Sistem Pengurusan Kes Mahkamah Syariah: case management portal",
    python_requires=">=3.11",
    packages=find_packages(include=["portal", "portal.*", "plugins", "plugins.*"]),
    include_package_data=True,
    package_data={
        # The catalogs ship compiled (.mo) beside their sources: see portal/i18n.py.
        "portal": [
            "templates/**/*",
            "migrations/*",
            "migrations/**/*",
            "translations/*",
            "translations/**/*",
        ],
        "plugins": ["*/templates/**/*"],
    },
    install_requires=[
        # Lower bounds are the versions tested; upper bounds are the traps
        # recorded in the project's STACK notes (FAB 5 breaks on these).
        "Flask>=3.1.3,<3.2",
        "Flask-AppBuilder>=5.3.0,<6",
        "Flask-SQLAlchemy>=3.1.1",
        "Flask-Migrate>=4.1.0",
        "SQLAlchemy>=2.0.30,<2.2",
        "SQLAlchemy-Continuum>=2.0.0",
        "marshmallow>=3.18,<4",
        "marshmallow-sqlalchemy>=1.4.2,<1.5",
        "WTForms>=3.2,<3.4",
        "pluggy>=1.6",
        "rq>=3.0.0",
        "redis>=5.0",
        "croniter>=2.0",
        "python-stdnum>=2.0",
        "reportlab>=4.0",
        # Each state's public holidays, in Malay, for working-day periods.
        "holidays>=0.60",
        # System Links' calls to the agencies; the tests' TLS clients too.
        "requests>=2.32",
        # X.509: the development CA, officer certificates, CRLs, and the
        # portal's own re-check of the client certificate nginx forwards.
        "cryptography>=42",
        # /metrics in Prometheus text format, with its multiprocess mode for
        # gunicorn: the exposition format and cross-process sums are not ours
        # to get right by hand.
        "prometheus-client>=0.20",
    ],
    extras_require={
        "postgres": ["psycopg[binary]>=3.2"],
        # The production web server (deploy/gunicorn.conf.py); the tests start
        # two of them to show the web tier keeps no state between requests.
        "web": ["gunicorn>=23.0"],
        # benchmarks/: the HTTP figures are taken against gunicorn, and a
        # missed target is profiled with pyinstrument.
        "bench": ["psycopg[binary]>=3.2", "gunicorn>=23", "pyinstrument>=5"],
        "test": [
            "pytest>=8.3",
            # Runs the suite in two processes (pyproject's addopts).
            "pytest-xdist>=3.6",
            "ruff>=0.8",
            "psycopg[binary]>=3.2",
            "build>=1.2",
            # tests/sample.py builds the sample plugin offline with the venv's
            # own setuptools; bdist_wheel is built into setuptools from 70.1.
            "setuptools>=70.1",
            # A real SMTP server on loopback for the e-mail channel's tests.
            "aiosmtpd>=1.4",
            # Generated bad inputs against the OpenAPI document.
            "hypothesis>=6.100",
            # Reads printed documents (cause list, case summary) back as text,
            # so the tests check what is on the paper, not how it was drawn.
            "pypdf>=5.0",
            # The two-process and deployment tests run the shipped gunicorn
            # settings.
            "gunicorn>=23.0",
            # tests/browser drive the Debian Chromium (/usr/bin/chromium) through
            # Playwright's Python client, so the screens are tested as a browser
            # renders and scripts them; Playwright's own browser downloads are
            # never fetched (`playwright install` is not run).
            "playwright>=1.49",
        ],
    },
    entry_points={
        "console_scripts": ["spkms=portal.cli:main"],
        # The built-in plugins register the same way a state's own plugin does.
        "spkms.plugins": [
            "parties=plugins.parties.hookimpls",
            "cases=plugins.cases.hookimpls",
            "allocation=plugins.allocation.hookimpls",
            "filetracking=plugins.filetracking.hookimpls",
            "collections=plugins.collections.hookimpls",
            "links=plugins.links.hookimpls",
        ],
    },
)
