"""The plugin manager: discover plugins by entry point, load the enabled ones.

Built-in plugins register under the ``spkms.plugins`` entry-point group exactly
as a state's own package does, so the profile's ``[plugins].enabled`` list is
the only switch, and what a built-in plugin can do, a state's plugin can too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

import pluggy

from portal import hookspecs
from portal.settings import ConfigError, StateProfile

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "spkms.plugins"


@dataclass(frozen=True)
class PluginInfo:
    """What the administrator's plugin screen shows about one loaded plugin."""

    name: str
    module: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


def installed_plugins() -> dict[str, EntryPoint]:
    """Every plugin installed in this environment, by entry-point name."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def build_manager(
    profile: StateProfile,
) -> tuple[pluggy.PluginManager, list[PluginInfo]]:
    """Create the manager with the host's hookspecs and the profile's plugins."""
    manager = pluggy.PluginManager("spkms")
    manager.add_hookspecs(hookspecs)
    # The host's own parts (reminders, certificates, dashboard) use the
    # same contract as the plugins.
    from portal.dashboard import hookimpls as host_dashboard
    from portal.reminders import hookimpls as host_reminders
    from portal.security import hookimpls as host_security

    manager.register(host_reminders, name="portal.reminders")
    manager.register(host_security, name="portal.security")
    manager.register(host_dashboard, name="portal.dashboard")
    available = installed_plugins()
    loaded: list[PluginInfo] = []
    for name in profile.enabled_plugins:
        entry_point = available.get(name)
        if entry_point is None:
            raise ConfigError(
                f"{profile.path.name} [plugins].enabled",
                f"unknown plugin {name!r}; installed: {', '.join(sorted(available))}",
            )
        try:
            module: ModuleType = entry_point.load()
        except Exception as exc:  # a plugin that fails to import stops start-up
            raise ConfigError(
                f"{profile.path.name} [plugins].enabled",
                f"plugin {name!r} failed to load: {exc}",
            ) from exc
        manager.register(module, name=name)
        dist = entry_point.dist
        hooks = tuple(
            sorted(caller.name for caller in manager.get_hookcallers(module) or [])
        )
        loaded.append(
            PluginInfo(
                name=name,
                module=module.__name__,
                distribution=dist.name if dist else "?",
                version=dist.version if dist else "?",
                hooks=hooks,
            )
        )
        logger.info("plugin loaded: %s (%s)", name, module.__name__)
    manager.check_pending()
    return manager, loaded
