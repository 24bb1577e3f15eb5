"""The profile's ``[links]`` sections, read and checked at start-up.

```toml
[links]
retry_seconds = 30          # first retry delay; doubles per failed try
max_attempts = 12           # tries before a message is parked (dead)
timeout_seconds = 10        # one HTTP call to an agency
max_backoff_seconds = 3600  # longest pause between two tries
signature_max_age = 300     # inbound timestamps further from now are refused
public_url = "http://127.0.0.1:8080"   # where agencies reach the portal

[links.jpn]
enabled = true
endpoint = "http://127.0.0.1:8090/jpn"
secret_env = "SPKMS_LINKS_JPN_SECRET"  # or secret = "..." (demo only)
flows = ["identity_check", "marital_status"]
connector = "jpn"                       # default: the agency key
divorce_case_types = ["054", "055", "057"]   # JPN only
```

Every agency named needs a registered connector; every flow listed must be
one the connector declares. A wrong entry stops start-up with a
``ConfigError`` naming the key.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from plugins.links.connectors import Connector
from portal.settings import ConfigError, StateProfile

logger = logging.getLogger(__name__)

#: The shortest shared secret accepted (bytes of text).
MIN_SECRET_LENGTH = 16


@dataclass(frozen=True)
class AgencySettings:
    """One agency's validated ``[links.<agency>]`` table and its connector."""

    agency: str
    connector: Connector
    endpoint: str
    secret: str
    flows: frozenset[str]
    options: dict[str, Any] = field(default_factory=dict)

    def flow_on(self, flow: str) -> bool:
        return flow in self.flows


@dataclass(frozen=True)
class LinksSettings:
    """The validated ``[links]`` section."""

    retry_seconds: float = 30.0
    max_attempts: int = 12
    timeout_seconds: float = 10.0
    max_backoff_seconds: float = 3600.0
    signature_max_age: int = 300
    public_url: str = "http://127.0.0.1:8080"
    agencies: dict[str, AgencySettings] = field(default_factory=dict)

    def agency(self, key: str) -> AgencySettings | None:
        return self.agencies.get(key)

    def flow_on(self, agency: str, flow: str) -> bool:
        found = self.agencies.get(agency)
        return found is not None and found.flow_on(flow)


def _number(raw: dict[str, Any], key: str, where: str, default: float) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}.{key}", "must be a positive number")
    return float(value)


def _url(value: Any, setting: str) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(setting, "must be an http(s) URL")
    return value.rstrip("/")


def read_settings(
    profile: StateProfile, connectors: Iterable[Connector]
) -> LinksSettings:
    """Read ``[links]`` and each ``[links.<agency>]``; check against connectors."""
    where = f"{profile.path.name} [links]"
    raw = profile.section("links")
    by_name: dict[str, Connector] = {}
    for connector in connectors:
        if connector.name in by_name:
            raise ConfigError(
                "spkms_agency_connectors",
                f"connector {connector.name!r} is registered twice",
            )
        by_name[connector.name] = connector
    max_attempts = raw.get("max_attempts", 12)
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int):
        raise ConfigError(f"{where}.max_attempts", "must be a whole number")
    if max_attempts < 1:
        raise ConfigError(f"{where}.max_attempts", "must be at least 1")
    agencies: dict[str, AgencySettings] = {}
    for key, table in raw.items():
        if not isinstance(table, dict):
            continue
        agency_where = f"{profile.path.name} [links.{key}]"
        if table.get("enabled", True) is False:
            continue
        agencies[key] = _agency(key, table, agency_where, by_name)
    settings = LinksSettings(
        retry_seconds=_number(raw, "retry_seconds", where, 30),
        max_attempts=max_attempts,
        timeout_seconds=_number(raw, "timeout_seconds", where, 10),
        max_backoff_seconds=_number(raw, "max_backoff_seconds", where, 3600),
        signature_max_age=int(_number(raw, "signature_max_age", where, 300)),
        public_url=_url(
            raw.get("public_url", LinksSettings.public_url), f"{where}.public_url"
        ),
        agencies=agencies,
    )
    logger.info(
        "links settings: agencies=%s retry_seconds=%s max_attempts=%s",
        ",".join(f"{a}({'/'.join(sorted(s.flows))})" for a, s in agencies.items())
        or "-",
        settings.retry_seconds,
        settings.max_attempts,
    )
    return settings


def _agency(
    key: str, table: dict[str, Any], where: str, connectors: dict[str, Connector]
) -> AgencySettings:
    name = table.get("connector", key)
    connector = connectors.get(name) if isinstance(name, str) else None
    if connector is None:
        raise ConfigError(
            f"{where}.connector",
            f"no connector {name!r} is registered; known: {sorted(connectors)}",
        )
    if connector.agency != key:
        raise ConfigError(
            f"{where}.connector",
            f"connector {name!r} is for agency {connector.agency!r}, not {key!r}",
        )
    endpoint = _url(table.get("endpoint"), f"{where}.endpoint")
    secret_env = table.get("secret_env")
    if secret_env is not None:
        if not isinstance(secret_env, str) or not secret_env:
            raise ConfigError(
                f"{where}.secret_env", "must name an environment variable"
            )
        secret = os.environ.get(secret_env, "")
        setting = f"{where}.secret_env ({secret_env})"
    else:
        secret = table.get("secret", "")
        setting = f"{where}.secret"
    if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            setting,
            f"the shared secret must be at least {MIN_SECRET_LENGTH} characters",
        )
    flows = table.get("flows", list(connector.flows))
    if not isinstance(flows, list) or not all(isinstance(f, str) for f in flows):
        raise ConfigError(f"{where}.flows", "must be a list of flow names")
    unknown = sorted(set(flows) - set(connector.flows))
    if unknown:
        raise ConfigError(
            f"{where}.flows",
            f"unknown flow {unknown[0]!r};"
            f" {connector.name} has {sorted(connector.flows)}",
        )
    options = {
        k: v
        for k, v in table.items()
        if k
        not in {"enabled", "connector", "endpoint", "secret", "secret_env", "flows"}
    }
    types = options.get("divorce_case_types", [])
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise ConfigError(
            f"{where}.divorce_case_types", "must be a list of case type codes"
        )
    return AgencySettings(
        agency=key,
        connector=connector,
        endpoint=endpoint,
        secret=secret,
        flows=frozenset(flows),
        options=options,
    )
