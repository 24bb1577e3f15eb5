"""The [links] profile is checked at start-up; the links officer's screens work."""

from __future__ import annotations

import dataclasses
import re

import pytest
import sqlalchemy as sa

from plugins.links.connectors import builtin_connectors
from plugins.links.models import AgencyMessage, MessageState
from plugins.links.profile import read_settings
from portal.app import spkms
from portal.extensions import db
from portal.settings import ConfigError
from tests.conftest import login
from tests.links.conftest import Links


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"endpoint": "ftp://x"}, "[links.jpn].endpoint"),
        ({"secret": "pendek"}, "[links.jpn].secret"),
        ({"flows": ["identity_check", "terbang"]}, "[links.jpn].flows"),
        ({"connector": "tiada"}, "[links.jpn].connector"),
        ({"connector": "pdrm"}, "[links.jpn].connector"),
    ],
)
def test_a_bad_agency_table_names_its_key(
    links: Links, change: dict, setting: str
) -> None:
    with links.app.app_context():
        profile = spkms().profile
        connectors = [
            c for answer in spkms().hook.spkms_agency_connectors() for c in answer
        ]
    raw = {**profile.raw, "links": {**profile.raw["links"]}}
    raw["links"]["jpn"] = {**raw["links"]["jpn"], **change}
    with pytest.raises(ConfigError) as refused:
        read_settings(dataclasses.replace(profile, raw=raw), connectors)
    assert setting in refused.value.setting
    with pytest.raises(ConfigError, match="registered twice"):
        read_settings(profile, builtin_connectors() + builtin_connectors())


def test_links_officer_lists_retries_parks_and_reads_health(links: Links, sim) -> None:
    sim.set("jpn", reject=True)
    case_id = links.register()
    sim.set("jpn", reject=False)
    (message,) = [m for m in links.messages(agency="jpn") if m["case_id"] == case_id]
    assert message["state"] == MessageState.DEAD
    client = links.app.test_client()
    parked = re.search(
        r'^spkms_agency_backlog\{agency="jpn",state="dead"\} (\S+)$',
        client.get("/metrics").text,
        re.M,
    )
    assert parked is not None and float(parked.group(1)) >= 1
    login(client, links.officer.username)
    listed = client.get("/agency-messages/list/?_flt_0_agency=jpn")
    assert listed.status_code == 200 and "identity_check" in listed.text
    shown = client.get(f"/agency-messages/show/{message['id']}")
    assert shown.status_code == 200 and "ditolak oleh agensi" in shown.text
    retried = client.post(f"/agency-messages/action/retry/{message['id']}")
    assert retried.status_code == 302, retried.text
    assert links.messages(id=message["id"])[0]["state"] == MessageState.ACKNOWLEDGED
    health = client.get("/links/health")
    assert health.status_code == 200 and "JPN" in health.text
    page = client.get(f"/links/case/{case_id}")
    assert page.status_code == 403 or "Sepadan" in page.text
    with links.app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AgencyMessage.id)).where(
                    AgencyMessage.case_id == case_id
                )
            )
            == 1
        )


def test_a_decided_divorce_is_reported_to_jpn(links: Links, sim) -> None:
    from plugins.cases import services as cases
    from plugins.cases.models import Case

    case_id = links.register()
    with links.app.app_context():
        case = db.session.get(Case, case_id)
        cases.change_status(case, "dalam_proses")
        cases.change_status(db.session.get(Case, case_id), "diputuskan")
    (sent,) = links.messages(idempotency_key=f"jpn:marital_status:{case_id}")
    assert sent["state"] == MessageState.ACKNOWLEDGED
    assert sim.received[sent["idempotency_key"]] == 1
    links.run_job("links.case_statistics", period="2026-12")
    (stats,) = links.messages(idempotency_key="jakim:case_statistics:2026-12")
    assert stats["state"] == MessageState.ACKNOWLEDGED
