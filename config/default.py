"""Flask settings shared by every state; the state profile and SPKMS_* env vars
override them (see ``portal.settings``)."""

from flask_appbuilder.const import AUTH_DB

APP_NAME = "SPKMS"
# Set SPKMS_SECRET_KEY in every deployment with more than one web worker host;
# without it, a random key is kept in the instance folder (fine for one host).
SECRET_KEY = None

# Embedded default: one SQLite file under the instance folder. The loader fills
# the path in when SPKMS_DATABASE_URL is not given.
SQLALCHEMY_DATABASE_URI = None
SQLALCHEMY_TRACK_MODIFICATIONS = False

# No Redis means jobs run in-process after each commit.
SPKMS_REDIS_URL = None
SPKMS_QUEUE_NAME = "spkms"
# Jobs: attempts before a job is dead, first retry delay in seconds (doubles
# each attempt, at most an hour), RQ job timeout (None: RQ's default), how long
# a commit waits for Redis before leaving the job to drain, scheduler tick.
SPKMS_JOB_MAX_ATTEMPTS = 5
SPKMS_JOB_RETRY_SECONDS = 30
SPKMS_JOB_TIMEOUT = None
SPKMS_REDIS_TIMEOUT = 1.0
SPKMS_SCHEDULER_INTERVAL = 60

SPKMS_STATE = "terengganu"

# Roles that see every court of the state (court scope does not narrow them).
# Confidential records stay limited to their judge, registrar and named grants.
SPKMS_STATEWIDE_ROLES = ["Admin", "Auditor", "Chief Registrar"]

# The service user that jobs, the scheduler and the CLI act as, so that every
# row they write carries a real author in the audit trail.
SPKMS_SERVICE_USER = "spkms-system"

AUTH_TYPE = AUTH_DB
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_USER_REGISTRATION = False

# Schema and permissions are created by `spkms init` (Alembic), never at start.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = False
FAB_ADD_SECURITY_API = True
FAB_API_SWAGGER_UI = True
FAB_API_MAX_PAGE_SIZE = 100

BABEL_DEFAULT_LOCALE = "ms"
LANGUAGES = {
    "ms": {"flag": "my", "name": "Bahasa Melayu"},
    "en": {"flag": "gb", "name": "English"},
}

# Uploaded case documents: the named limit, and a request-size backstop a
# little above it so an oversized body is cut off before the form is parsed.
SPKMS_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
MAX_CONTENT_LENGTH = 12 * 1024 * 1024

WTF_CSRF_ENABLED = True
PERMANENT_SESSION_LIFETIME = 8 * 3600  # one working day
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Notifications: every message lands in the officer's inbox; with an SMTP
# host set it is also e-mailed (portal/mail.py), retried by the job queue
# when the mail server is down. SPKMS_PUBLIC_URL turns inbox links into
# addresses an e-mail reader can follow.
SPKMS_SMTP_HOST = None
SPKMS_SMTP_PORT = 25
SPKMS_SMTP_STARTTLS = False
SPKMS_SMTP_USER = None
SPKMS_SMTP_PASSWORD = None
SPKMS_MAIL_FROM = "spkms@localhost"
SPKMS_PUBLIC_URL = "http://localhost:8080"

# An officer idle this long is logged out (0: never).
SPKMS_SESSION_IDLE_MINUTES = 30
# Secure cookies and HSTS; implied by certificate login (nginx terminates TLS).
SPKMS_BEHIND_TLS = False

# Certificate (Softcert) login, see docs/security.md. Off in the embedded demo.
# SPKMS_TRUSTED_PROXIES must then list nginx's addresses ("127.0.0.1").
SPKMS_CERT_LOGIN = False
SPKMS_CERT_CA_FILE = None  # PEM bundle of the CAs officers' certificates chain to
SPKMS_CERT_CRL_FILE = None  # PEM or DER CRL(s); unreadable or stale refuses all
SPKMS_CERT_IDENTITY_FIELD = "serialNumber"  # subject field holding the MyKad no.
SPKMS_CERT_EXPIRY_WARN_DAYS = 30
# Pages anyone may use without a certificate or an account.
SPKMS_PUBLIC_PATHS = ["/efiling/", "/status/"]

# Rate limits per client address (Flask-Limiter through FAB; Redis storage
# when SPKMS_REDIS_URL is set). FAB limits its login form with AUTH_RATE_*.
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = "10 per minute"
SPKMS_LOGIN_RATE_LIMIT = "10 per minute"  # the API's token login
SPKMS_PUBLIC_RATE_LIMIT = "20 per minute"  # e-filing and status look-ups

# Operations: /metrics answers only these networks (a list, or a comma-separated
# string in the environment); /health/ready waits this long for each of the
# database and Redis before calling the portal unready.
SPKMS_METRICS_ALLOW = ["127.0.0.1/32", "::1/128"]
SPKMS_HEALTH_TIMEOUT = 2.0
