"""``/metrics``: figures in Prometheus text format, only for allowed networks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from portal import hookimpl
from portal.extensions import db
from portal.jobs.models import OutboxJob
from portal.metrics import AgencyBacklog, client_allowed, parse_networks
from portal.settings import ConfigError


def scrape(client: Any) -> dict[str, Any]:
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.mimetype == "text/plain"
    return {f.name: f for f in text_string_to_metric_families(answer.text)}


def value(families: dict[str, Any], name: str, **labels: str) -> float:
    """The sample of ``name`` whose labels include ``labels`` (0 when absent)."""
    for family in families.values():
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return sample.value
    return 0.0


def test_requests_are_timed_by_endpoint_not_url(app: Flask, client: Any) -> None:
    before = scrape(client)
    client.get("/health/live")
    client.get("/cases/show/987654321")  # an id in the URL must not become a label
    client.get("/no/such/page/123")
    after = scrape(client)

    name = "spkms_request_duration_seconds_count"
    live = value(after, name, endpoint="spkms_health_live", method="GET")
    assert live == value(before, name, endpoint="spkms_health_live", method="GET") + 1
    assert value(after, name, endpoint="CaseView.show", method="GET") >= 1
    assert value(after, name, endpoint="unmatched", method="GET") >= 1
    labels = {
        value
        for family in after.values()
        for sample in family.samples
        for value in sample.labels.values()
    }
    assert not any("987654321" in label or "/" in label for label in labels)

    requests = "spkms_requests_total"
    assert (
        value(after, requests, status="404")
        >= value(before, requests, status="404") + 1
    )


def test_outbox_backlog_is_read_at_scrape_time(app: Flask, client: Any) -> None:
    before = value(scrape(client), "spkms_outbox_jobs", state="pending")
    with app.app_context():
        # Written with a plain INSERT, past the after-commit hand-over, as a
        # row left behind by a Redis outage would be: it stays pending.
        job_id = db.session.scalar(
            sa.insert(OutboxJob)
            .values(name="portal.event", kwargs={}, state="pending")
            .returning(OutboxJob.id)
        )
        db.session.commit()
    try:
        families = scrape(client)
        assert value(families, "spkms_outbox_jobs", state="pending") == before + 1
        assert value(families, "spkms_dependency_up", dependency="database") == 1
    finally:
        with app.app_context():
            db.session.delete(db.session.get(OutboxJob, job_id))
            db.session.commit()


class AgencyPlugin:
    """A plugin feeding the agency backlog and a figure of its own."""

    class Deliveries:
        def collect(self) -> Iterator[Any]:
            family = GaugeMetricFamily("sample_agency_retries", "Retries due.")
            family.add_metric([], 4)
            yield family

    @hookimpl
    def spkms_metrics_collectors(self) -> list[Any]:
        return [
            AgencyBacklog(lambda: {("JPN", "pending"): 3, ("PDRM", "failed"): 1}),
            self.Deliveries(),
        ]


class BrokenPlugin:
    @hookimpl
    def spkms_metrics_collectors(self) -> list[Any]:
        def read() -> dict[tuple[str, str], int]:
            raise RuntimeError("agency table missing")

        return [AgencyBacklog(read)]


@pytest.fixture
def agency_plugins(app: Flask) -> Iterator[None]:
    manager = app.extensions["spkms"].plugin_manager
    plugins = [AgencyPlugin(), BrokenPlugin()]
    for plugin in plugins:
        manager.register(plugin)
    yield
    for plugin in plugins:
        manager.unregister(plugin)


def test_spkms_metrics_collectors_feed_the_agency_backlog(
    client: Any, agency_plugins: None
) -> None:
    families = scrape(client)
    assert value(families, "spkms_agency_backlog", agency="JPN", state="pending") == 3
    assert value(families, "spkms_agency_backlog", agency="PDRM", state="failed") == 1
    assert value(families, "sample_agency_retries") == 4


@pytest.fixture
def nobody_feeds_metrics(app: Flask) -> Iterator[None]:
    """The loaded plugins that feed ``/metrics`` (links), set aside for a test."""
    manager = app.extensions["spkms"].plugin_manager
    feeders = [
        (impl.plugin_name, impl.plugin)
        for impl in manager.hook.spkms_metrics_collectors.get_hookimpls()
    ]
    for name, _plugin in feeders:
        manager.unregister(name=name)
    yield
    for name, plugin in feeders:
        manager.register(plugin, name=name)


def test_agency_backlog_is_present_when_nobody_feeds_it(
    client: Any, nobody_feeds_metrics: None
) -> None:
    text = client.get("/metrics").text
    assert "# TYPE spkms_agency_backlog gauge" in text
    assert re.search(r"^spkms_agency_backlog\{", text, re.M) is None


def test_metrics_are_refused_outside_the_allowed_networks(
    app: Flask, client: Any
) -> None:
    outsider = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"})
    assert outsider.status_code == 403
    assert "spkms_" not in outsider.text

    saved = app.extensions["spkms_metrics_allow"]
    app.extensions["spkms_metrics_allow"] = parse_networks("10.20.0.0/16, ::1")
    try:
        allowed = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.30.40"})
        refused = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    finally:
        app.extensions["spkms_metrics_allow"] = saved
    assert allowed.status_code == 200 and "spkms_requests_total" in allowed.text
    assert refused.status_code == 403


def test_metrics_allow_setting_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"SPKMS_METRICS_ALLOW.*'10\.0\.0\.300'"):
        parse_networks("127.0.0.1, 10.0.0.300")
    networks = parse_networks(["192.168.1.0/24"])
    assert client_allowed("192.168.1.9", networks)
    assert client_allowed("::ffff:192.168.1.9", networks)
    assert not client_allowed("192.168.2.9", networks)
    assert not client_allowed("not-an-ip", networks)
    assert not client_allowed(None, networks)
