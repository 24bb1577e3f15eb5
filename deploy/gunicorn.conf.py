"""gunicorn settings for the portal: ``gunicorn -c deploy/gunicorn.conf.py``.

Every figure can be changed through the environment of the unit (see
deploy/spkms.env.example) without editing this file:

- ``SPKMS_BIND``: where to listen (default 127.0.0.1:8000; nginx in front).
- ``SPKMS_WEB_WORKERS``: worker processes (default: 2 per CPU plus one,
  at most 12; the work is mostly waiting on PostgreSQL).
- ``SPKMS_WEB_TIMEOUT``: seconds before a silent worker is killed (60).
- ``SPKMS_ACCESS_LOG`` / ``SPKMS_ERROR_LOG``: ``-`` for the journal (default).
- ``SPKMS_CONTROL_SOCKET``: path of gunicorn's control socket (off if unset).
- ``SPKMS_CONTROL_SOCKET``: path of gunicorn's control socket (off if unset).

The app is *not* preloaded. ``create_app`` opens a database connection while
it starts; built once in the master, every worker would inherit that pool and
the Redis client across ``fork``, and two processes on one socket corrupt
the protocol. Each worker builds its own app instead, at the cost of a few
seconds of start-up per worker, and a ``HUP`` reload picks up new code.

Prometheus multiprocess mode is on when ``PROMETHEUS_MULTIPROC_DIR`` is set
in the unit's environment (it must be, before any Python starts, so the
workers see it too): the master clears out the files of dead processes at
start, and tells the library when a worker exits so its live gauges go with
it.
"""

from __future__ import annotations

import multiprocessing as _multiprocessing
import os as _os
from pathlib import Path as _Path
from typing import Any as _Any


def _env_int(name: str, default: int) -> int:
    value = _os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name}: {value!r} is not a whole number") from None


wsgi_app = "portal.wsgi:app"
bind = [_os.environ.get("SPKMS_BIND", "127.0.0.1:8000")]
workers = _env_int("SPKMS_WEB_WORKERS", min(_multiprocessing.cpu_count() * 2 + 1, 12))
worker_class = "sync"
preload_app = False

# A request past this is a stuck worker: killed and replaced. Long exports
# belong in jobs, not in a request.
timeout = _env_int("SPKMS_WEB_TIMEOUT", 60)
graceful_timeout = 30
# nginx keeps connections to us open between requests.
keepalive = 5
# Recycle workers now and then so slow leaks never add up; the jitter keeps
# them from all restarting at once.
max_requests = 2000
max_requests_jitter = 200
# Heartbeat files on tmpfs: a busy disk must not get healthy workers killed.
# gunicorn makes them with mkstemp and unlinks them at once.
_SHM = "/dev/shm"  # noqa: S108
worker_tmp_dir = _SHM if _Path(_SHM).is_dir() else None

# The request id is the one the portal puts on every response (and on every
# log line and job of that request), so one grep follows a request through.
accesslog = _os.environ.get("SPKMS_ACCESS_LOG", "-")
errorlog = _os.environ.get("SPKMS_ERROR_LOG", "-")
access_log_format = (
    '%(h)s xff=%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms '
    'rid=%({x-request-id}o)s user_agent="%(a)s"'
)
proc_name = "spkms-portal"

# gunicorn's control socket (``gunicornc``) only where the unit names a path
# for it: its default under $HOME would be shared by every portal of a host.
control_socket = _os.environ.get("SPKMS_CONTROL_SOCKET", "")
control_socket_disable = not control_socket


def on_starting(server: _Any) -> None:
    """Remove the metric files of processes that no longer run.

    Files of an earlier run would otherwise be added to this one's. Files of
    live processes stay: the worker and scheduler of this host write their
    figures (reminders sent) to the same folder for this portal to serve.
    """
    path = _os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return
    folder = _Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    removed = 0
    for entry in folder.glob("*.db"):
        if not _alive(entry.stem.rsplit("_", 1)[-1]):
            entry.unlink(missing_ok=True)
            removed += 1
    server.log.info("metrics: %d stale file(s) removed from %s", removed, folder)


def _alive(pid_text: str) -> bool:
    """True when ``pid_text`` names a running process."""
    try:
        _os.kill(int(pid_text), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def child_exit(server: _Any, worker: _Any) -> None:
    """Drop the live gauges of a worker that exited (recycled or killed)."""
    if not _os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
