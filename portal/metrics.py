"""Prometheus metrics: what the portal measures and the ``/metrics`` answer.

Two kinds of figure, kept apart on purpose:

- **Counted as things happen**, in the process where they happen: request
  latency per Flask endpoint, requests per status, reminders sent. These are
  ``prometheus_client`` metrics defined once per process below. Under
  gunicorn each worker counts its own share; with ``PROMETHEUS_MULTIPROC_DIR``
  set (before the process starts) every process writes its figures to files
  in that folder and the scrape adds them up, whichever worker answers it.
- **Read at scrape time** from the shared state every process sees: outbox
  backlog per state, RQ queue depths, whether the database and Redis answer,
  and whatever plugins add through ``spkms_metrics_collectors`` (the agency
  backlog among them). These are read fresh on each scrape by the worker that
  answers it, so they are the same from any worker or host and need no
  multiprocess bookkeeping.

Access: ``/metrics`` answers only clients inside ``SPKMS_METRICS_ALLOW``
(networks; loopback by default), because request counts and backlogs describe
the court's workload and are not for the public.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from portal.settings import ConfigError

logger = logging.getLogger(__name__)

#: Networks allowed to read ``/metrics`` when the setting is not given.
DEFAULT_ALLOW = ("127.0.0.1/32", "::1/128")

#: Outbox states worth watching; ``done`` rows only grow and say nothing.
BACKLOG_STATES = ("pending", "dispatched", "running", "failed", "dead")

REQUEST_SECONDS = Histogram(
    "spkms_request_duration_seconds",
    "Time to answer a request, by Flask endpoint (not URL: ids stay out).",
    ["endpoint", "method"],
)
REQUESTS = Counter(
    "spkms_requests",
    "Requests answered, by HTTP status code.",
    ["status", "method"],
)
# TODO(file per job): an RQ worker forks a child per job, and in multiprocess
# mode each child leaves its own small counter file; they pile up in the
# metrics folder until the portal's next start removes them. A long-running
# host gathers thousands; a periodic compaction would keep the folder small.
REMINDERS_SENT = Counter(
    "spkms_reminders_sent",
    "Records newly warned by the reminder engine, by rule and level.",
    ["rule", "level"],
)
REMINDER_MESSAGES = Counter(
    "spkms_reminder_messages",
    "Inbox messages the reminder engine wrote (one per officer told).",
)
REMINDER_RULE_FAILURES = Counter(
    "spkms_reminder_rule_failures",
    "Reminder rule runs that raised and were rolled back, by rule.",
    ["rule"],
)


class AgencyBacklog:
    """A plugin's share of the ``spkms_agency_backlog`` gauge.

    A plugin that talks to outside agencies returns one of these from
    ``spkms_metrics_collectors``; ``read`` is called at scrape time inside an
    app context and answers ``{(agency, state): count}`` for the messages it
    still has to send or settle. The host merges every plugin's answer into
    one gauge, so two plugins never declare the same metric twice, and the
    gauge is present (empty) even when no plugin feeds it.
    """

    def __init__(self, read: Callable[[], Mapping[tuple[str, str], int]]) -> None:
        self.read = read


def record_reminder_run(report: Any) -> None:
    """Count what one reminder run did (a ``reminders.engine.RunReport``)."""
    for rule, levels in report.sent.items():
        for level, count in levels.items():
            if count:
                REMINDERS_SENT.labels(rule=rule, level=level).inc(count)
    if report.messages:
        REMINDER_MESSAGES.inc(report.messages)
    for rule in report.failed:
        REMINDER_RULE_FAILURES.labels(rule=rule).inc()


def multiprocess_dir() -> str | None:
    """The folder multiprocess mode writes to, if the process was started with one."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def parse_networks(value: Any) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Read ``SPKMS_METRICS_ALLOW``: a list, or a comma-separated string.

    :raises ConfigError: an entry is not a network or address.
    """
    if value is None:
        value = DEFAULT_ALLOW
    items = value.split(",") if isinstance(value, str) else list(value)
    networks = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ConfigError(
                "SPKMS_METRICS_ALLOW", f"{text!r} is not an IP network ({exc})"
            ) from exc
    return tuple(networks)  # type: ignore[return-value]


def client_allowed(address: str | None, networks: Iterable[Any]) -> bool:
    """True when ``address`` lies in one of ``networks``."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def init_app(app: Flask) -> None:
    """Time every request and add ``/metrics``; check ``SPKMS_METRICS_ALLOW``.

    :raises ConfigError: a network in ``SPKMS_METRICS_ALLOW`` is malformed.
    """
    allowed = parse_networks(app.config.get("SPKMS_METRICS_ALLOW"))
    app.extensions["spkms_metrics_allow"] = allowed

    @app.before_request
    def _start_timer() -> None:
        g.spkms_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("spkms_started", None)
        if started is not None:
            endpoint = request.endpoint or "unmatched"
            method = request.method
            REQUEST_SECONDS.labels(endpoint=endpoint, method=method).observe(
                time.perf_counter() - started
            )
            REQUESTS.labels(status=str(response.status_code), method=method).inc()
        return response

    app.add_url_rule("/metrics", "spkms_metrics", _metrics_view)


def _metrics_view() -> Any:
    allowed = current_app.extensions["spkms_metrics_allow"]
    if not client_allowed(request.remote_addr, allowed):
        logger.warning("metrics refused: client=%s", request.remote_addr)
        return jsonify(message="Metrics are not served to this address"), 403
    return Response(render(), mimetype=CONTENT_TYPE_LATEST)


def render() -> bytes:
    """The text a scrape gets: counted figures plus the ones read now."""
    path = multiprocess_dir()
    if path:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=path)
    else:
        # The process registry also carries the process and platform figures.
        registry = CollectorRegistry()
        registry.register(_Delegate(REGISTRY))
    registry.register(ScrapeCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
    return generate_latest(registry)


class _Delegate(Collector):
    """Hands on another registry's metrics (a registry is not itself a collector)."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Any]:
        return iter(self.source.collect())


class ScrapeCollector(Collector):
    """The figures read from shared state at scrape time, and the plugins' own.

    A source that does not answer (database or Redis down) is reported as
    ``spkms_dependency_up 0`` and its figures are left out, so the scrape
    itself still succeeds and the alert is on the right line.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Any]:
        from portal.app import spkms

        up = GaugeMetricFamily(
            "spkms_dependency_up",
            "1 when the dependency answered this scrape, 0 when it did not.",
            labels=["dependency"],
        )
        yield from self._outbox(up)
        yield from self._queue(up)
        yield up

        backlog = GaugeMetricFamily(
            "spkms_agency_backlog",
            "Agency messages not yet settled, by agency and state.",
            labels=["agency", "state"],
        )
        for answer in spkms().hook.spkms_metrics_collectors():
            for collector in answer or []:
                try:
                    if isinstance(collector, AgencyBacklog):
                        for (agency, state), count in collector.read().items():
                            backlog.add_metric([agency, state], count)
                    else:
                        yield from collector.collect()
                except Exception:
                    logger.exception("metrics collector failed: %r", collector)
        yield backlog

    def _outbox(self, up: GaugeMetricFamily) -> Iterator[Any]:
        from portal.extensions import db
        from portal.jobs.models import OutboxJob

        family = GaugeMetricFamily(
            "spkms_outbox_jobs",
            "Outbox rows by state (done rows are not counted).",
            labels=["state"],
        )
        try:
            rows = dict(
                db.session.execute(
                    sa.select(OutboxJob.state, sa.func.count())
                    .where(OutboxJob.state.in_(BACKLOG_STATES))
                    .group_by(OutboxJob.state)
                ).all()
            )
            db.session.rollback()
        except Exception as exc:
            db.session.rollback()
            logger.warning("metrics: database did not answer: %s", exc)
            up.add_metric(["database"], 0)
            return
        up.add_metric(["database"], 1)
        for state in BACKLOG_STATES:
            family.add_metric([state], rows.get(state, 0))
        yield family

    def _queue(self, up: GaugeMetricFamily) -> Iterator[Any]:
        from redis.exceptions import RedisError

        from portal.jobs import current_registry

        registry = current_registry()
        if registry.inline:
            return
        family = GaugeMetricFamily(
            "spkms_queue_jobs",
            "RQ jobs of the portal's queue, by where they are.",
            labels=["queue", "where"],
        )
        try:
            queue = registry.queue()
            depths = {
                "queued": queue.count,
                "started": queue.started_job_registry.count,
                "failed": queue.failed_job_registry.count,
                "scheduled": queue.scheduled_job_registry.count,
            }
        except RedisError as exc:
            logger.warning("metrics: Redis did not answer: %s", exc)
            up.add_metric(["redis"], 0)
            return
        up.add_metric(["redis"], 1)
        for where, count in depths.items():
            family.add_metric([registry.queue_name, where], count)
        yield family
