"""Configuration loading: Flask defaults, then the state profile, then SPKMS_*
environment variables, then the caller's overrides.

A wrong setting stops start-up with a ``ConfigError`` whose message names the
setting, so an operator reads one line and knows what to fix.
"""

from __future__ import annotations

import csv
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

#: Where ``default.py`` and ``states/`` live; a deployment may point elsewhere.
CONFIG_DIR = Path(
    os.environ.get("SPKMS_CONFIG_DIR", Path(__file__).parent.parent / "config")
)

#: Environment variables read at start-up and the Flask setting each one sets.
ENV_SETTINGS = {
    "SPKMS_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SPKMS_REDIS_URL": "SPKMS_REDIS_URL",
    "SPKMS_SECRET_KEY": "SECRET_KEY",
    "SPKMS_STATE": "SPKMS_STATE",
    "SPKMS_QUEUE_NAME": "SPKMS_QUEUE_NAME",
    "SPKMS_TRUSTED_PROXIES": "SPKMS_TRUSTED_PROXIES",
    "SPKMS_STATES_DIR": "SPKMS_STATES_DIR",
    "SPKMS_SMTP_HOST": "SPKMS_SMTP_HOST",
    "SPKMS_SMTP_PORT": "SPKMS_SMTP_PORT",
    "SPKMS_SMTP_USER": "SPKMS_SMTP_USER",
    "SPKMS_SMTP_PASSWORD": "SPKMS_SMTP_PASSWORD",
    "SPKMS_MAIL_FROM": "SPKMS_MAIL_FROM",
    "SPKMS_PUBLIC_URL": "SPKMS_PUBLIC_URL",
    "SPKMS_CERT_LOGIN": "SPKMS_CERT_LOGIN",
    "SPKMS_CERT_CA_FILE": "SPKMS_CERT_CA_FILE",
    "SPKMS_CERT_CRL_FILE": "SPKMS_CERT_CRL_FILE",
    "SPKMS_CERT_IDENTITY_FIELD": "SPKMS_CERT_IDENTITY_FIELD",
    "SPKMS_BEHIND_TLS": "SPKMS_BEHIND_TLS",
    "SPKMS_METRICS_ALLOW": "SPKMS_METRICS_ALLOW",
    "SPKMS_HEALTH_TIMEOUT": "SPKMS_HEALTH_TIMEOUT",
}


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names the setting."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        self.problem = problem
        super().__init__(f"{setting}: {problem}")


@dataclass(frozen=True)
class CourtSpec:
    """One court as the profile declares it."""

    code: str
    name: str
    level: str
    district: str
    parent: str | None = None


@dataclass(frozen=True)
class StateProfile:
    """A state's profile, validated. Plugins read their own sections from ``raw``."""

    key: str
    path: Path
    code: str
    name: str
    timezone: str
    enabled_plugins: tuple[str, ...]
    levels: dict[str, str]
    courts: tuple[CourtSpec, ...]
    raw: dict[str, Any] = field(repr=False)

    def section(self, name: str) -> dict[str, Any]:
        """Return a top-level table of the profile, or an empty one."""
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}

    def read_csv(self, setting: str, filename: str) -> list[dict[str, str]]:
        """Read a CSV file that the profile names, relative to the profile."""
        path = self.path.parent / filename
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                return list(csv.DictReader(handle))
        except OSError as exc:
            raise ConfigError(setting, f"cannot read {path}: {exc.strerror}") from exc


def load_profile(state: str, states_dir: Path = CONFIG_DIR / "states") -> StateProfile:
    """Read and check ``<states_dir>/<state>.toml``."""
    path = Path(states_dir) / f"{state}.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError("SPKMS_STATE", f"no state profile at {path}") from exc
    except OSError as exc:
        raise ConfigError("SPKMS_STATE", f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"state profile {path.name}", f"not valid TOML ({exc})"
        ) from exc

    state_table = raw.get("state")
    if not isinstance(state_table, dict):
        raise ConfigError(f"{path.name} [state]", "the table is missing")
    for key in ("code", "name"):
        if not isinstance(state_table.get(key), str) or not state_table[key]:
            raise ConfigError(
                f"{path.name} [state].{key}", "must be a non-empty string"
            )

    levels: dict[str, str] = {}
    for index, level in enumerate(raw.get("levels", [])):
        if not level.get("code") or not level.get("name"):
            raise ConfigError(f"{path.name} levels[{index}]", "needs code and name")
        levels[level["code"]] = level["name"]
    if not levels:
        raise ConfigError(
            f"{path.name} [[levels]]", "at least one court level is needed"
        )

    courts: list[CourtSpec] = []
    seen: set[str] = set()
    for index, court in enumerate(raw.get("courts", [])):
        where = f"{path.name} courts[{index}]"
        for key in ("code", "name", "level", "district"):
            if not isinstance(court.get(key), str) or not court[key]:
                raise ConfigError(f"{where}.{key}", "must be a non-empty string")
        if court["level"] not in levels:
            raise ConfigError(
                f"{where}.level",
                f"unknown level {court['level']!r}; known: {sorted(levels)}",
            )
        if not court["code"].startswith(state_table["code"]):
            raise ConfigError(
                f"{where}.code",
                f"{court['code']!r} must start with state code {state_table['code']!r}",
            )
        if court["code"] in seen:
            raise ConfigError(f"{where}.code", f"{court['code']!r} is declared twice")
        seen.add(court["code"])
        courts.append(
            CourtSpec(
                code=court["code"],
                name=court["name"],
                level=court["level"],
                district=court["district"],
                parent=court.get("parent"),
            )
        )
    for spec in courts:
        if spec.parent and spec.parent not in seen:
            raise ConfigError(
                f"{path.name} court {spec.code}.parent",
                f"unknown court {spec.parent!r}",
            )

    enabled = raw.get("plugins", {}).get("enabled", [])
    if not isinstance(enabled, list) or not all(isinstance(n, str) for n in enabled):
        raise ConfigError(
            f"{path.name} [plugins].enabled", "must be a list of plugin names"
        )

    return StateProfile(
        key=state,
        path=path,
        code=state_table["code"],
        name=state_table["name"],
        timezone=state_table.get("timezone", "Asia/Kuala_Lumpur"),
        enabled_plugins=tuple(enabled),
        levels=levels,
        courts=tuple(courts),
        raw=raw,
    )


def _instance_secret(instance: Path) -> str:
    """A random key kept in the instance folder, readable by its owner only."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def configure(app: Flask, overrides: dict[str, Any] | None = None) -> StateProfile:
    """Fill ``app.config`` in order: defaults, env vars, overrides; load the profile."""
    app.config.from_pyfile(str(CONFIG_DIR / "default.py"))
    for env_name, setting in ENV_SETTINGS.items():
        if os.environ.get(env_name):
            app.config[setting] = os.environ[env_name]
    app.config.update(overrides or {})
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'spkms.db'}"
        )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    from portal.security import hardening

    hardening.configure(app.config)
    states_dir = app.config.get("SPKMS_STATES_DIR") or CONFIG_DIR / "states"
    profile = load_profile(app.config["SPKMS_STATE"], Path(states_dir))
    app.config["SPKMS_PROFILE"] = profile
    return profile
