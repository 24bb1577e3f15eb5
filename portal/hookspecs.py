"""The contract between the portal host and its plugins.

Every hook is called by the host (never by another plugin) and its docstring
says when, with what, and what the host does with the answer. Families:

- ``spkms_register_*``: set-up, called once while ``create_app`` builds an app;
- ``spkms_load_profile`` / ``spkms_demo_data``: data, called by ``spkms init``
  and ``spkms demo``;
- ``spkms_on_*``: events, called by a job after the transaction that caused
  them has committed (a rolled-back transaction fires nothing);
- ``spkms_*_strategies``, ``_rules``, ``_channels``, ``_connectors``,
  ``_panels`` and ``spkms_fee_types``: registries, each answering a
  name-to-implementation mapping that the state profile chooses from;
  ``spkms_metrics_collectors`` answers the collectors ``/metrics`` reads on
  every scrape;
- ``spkms_assign_judge`` / ``spkms_repoint_party``: decisions and changes a
  plugin makes inside another plugin's transaction.

Each registry hook is declared here once something calls it and a test
covers it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
import pluggy

if TYPE_CHECKING:
    from flask_appbuilder import AppBuilder
    from sqlalchemy.orm import Session

    from portal.dashboard import Panel
    from portal.jobs import Schedule
    from portal.notifications import Notification
    from portal.reminders.rules import ReminderRule
    from portal.settings import StateProfile

hookspec = pluggy.HookspecMarker("spkms")


@hookspec
def spkms_register_models() -> list[type]:
    """Return the plugin's model classes.

    Called before mappers are configured, so Continuum builds their version
    tables; the host lists them for migrations, the audit trail and the scope
    tests.
    """


@hookspec
def spkms_register_views(appbuilder: AppBuilder) -> None:
    """Add the plugin's screens and REST APIs to ``appbuilder``.

    Called inside the app context once the security manager exists. Screens
    and APIs of court-owned models subclass ``portal.views.ScopedModelView`` /
    ``ScopedModelRestApi`` so that the access check covers them.
    """


@hookspec
def spkms_register_roles() -> dict[str, list[tuple[str, str]]]:
    """Return permissions the plugin grants to roles.

    Maps a role name to ``(view_name_regex, permission_regex)`` pairs. The host
    merges every plugin's answer with its own role definitions; a role name it
    does not know yet becomes a new role. ``spkms init`` writes them to the
    database, where the administrator can still adjust them.
    """


@hookspec
def spkms_register_cli_commands() -> list[click.Command]:
    """Return click commands to add under ``spkms``."""


@hookspec
def spkms_register_jobs() -> dict[str, Callable[..., Any]]:
    """Return the plugin's jobs by name.

    ``portal.jobs.enqueue(name, **kwargs)`` refers to them by that name; a job
    runs in an app context as the service user, in its own transaction.
    """


@hookspec
def spkms_register_schedules() -> list[Schedule]:
    """Return recurring jobs (``portal.jobs.Schedule``: name, cron, job).

    ``spkms scheduler`` (or the in-process scheduler of the demo) enqueues each
    one when its cron expression, read in the state's time zone, falls due.
    """


@hookspec
def spkms_register_migrations() -> list[str]:
    """Return directories of Alembic revisions for the plugin's own tables.

    Built-in plugins share the host's revisions; a state's own plugin ships its
    revisions as a branch that depends on the host's head.
    """


@hookspec
def spkms_load_profile(profile: StateProfile, session: Session) -> int:
    """Load the plugin's part of the state profile; return the rows written.

    Called by ``spkms init`` after the courts are loaded, in one transaction
    that is committed only when every plugin succeeded. Must be idempotent: a
    second run with an unchanged profile writes nothing and returns 0. A bad
    entry raises ``portal.settings.ConfigError`` naming the setting.
    """


@hookspec
def spkms_demo_data(profile: StateProfile, session: Session) -> None:
    """Add the plugin's sample data for ``spkms demo`` (idempotent)."""


@hookspec
def spkms_repoint_party(session: Session, from_party_id: int, to_party_id: int) -> int:
    """Move every reference to party ``from_party_id`` onto ``to_party_id``.

    Called by the parties plugin inside the transaction that merges a duplicate
    profile into the surviving one, so the merge and the moved references
    commit or roll back together. Change rows through the ORM so each change is
    versioned; return how many rows were changed.
    """


@hookspec
def spkms_allocation_strategies() -> dict[str, Callable[..., Any]]:
    """Return allocation strategies by name.

    The allocation plugin merges every plugin's answer (a name given twice
    stops start-up) and uses the one the state profile names for the case's
    court and type. Each is called as ``strategy(candidates, context)`` with
    the eligible judges and their loads (``plugins.allocation.strategies``
    ``Candidate`` and ``DrawContext``) and answers a ``Choice`` or a judge id.
    """


@hookspec
def spkms_reminder_rules() -> list[ReminderRule]:
    """Return the reminder rules the plugin owns (``portal.reminders.rules``).

    Collected once by ``create_app``; a rule name given twice stops start-up.
    Each rule answers, as one SQL query, the records it watches with the date
    its period counts from; the engine applies the periods and audiences of
    the profile's ``[reminders.rules."<name>"]`` and warns once per record and
    level. A rule the profile switches off (``enabled = false``) never runs.
    """


@hookspec
def spkms_notification_channels() -> dict[str, Callable[[Notification, Any], None]]:
    """Return extra channels (SMS, a messaging app) by name.

    Every inbox message is also offered to each channel by the
    ``notifications.deliver`` job, after the message committed: the channel is
    called as ``channel(notification, user)`` and raises to say it failed, in
    which case the job retries it later (the inbox is never held up). E-mail
    is the host's own channel, on when ``SPKMS_SMTP_HOST`` is set.
    """


@hookspec
def spkms_agency_connectors() -> list[Any]:
    """Return agency connectors (``plugins.links.connectors.Connector`` objects).

    Called once while the links plugin starts. Each connector names its agency
    (``jpn``, ``pdrm``, ...), declares its flows with their direction and turns
    payloads into the agency's requests and answers back. The profile's
    ``[links.<agency>].connector`` picks one by name; a name given twice stops
    start-up.
    """


@hookspec
def spkms_dashboard_panels() -> list[Panel]:
    """Return the panels the plugin adds to the dashboard (``portal.dashboard.Panel``).

    Collected once while ``create_app`` adds the screens; a panel key given
    twice stops start-up. On every view of the dashboard, and for every CSV
    download, the host calls each panel's ``build(scope)`` with a
    ``portal.dashboard.Scope`` (the courts chosen, already checked against the
    viewer's scope, and the year) and draws the ``PanelData`` it answers as a
    chart and a table, and serves the same rows as CSV. ``build`` counts with
    set-based SQL filtered by ``scope.court_ids``; it must not write.
    """


@hookspec(firstresult=True)
def spkms_assign_judge(session: Session, case_id: int) -> int | None:
    """Choose, and record, the judge of a case being registered.

    Called by the cases plugin inside the registration transaction after the
    case row is flushed. Return the chosen judge's id, or ``None`` to leave the
    case unassigned (nobody eligible, or the strategy failed: never raise, the
    registration must not fail for it). The first answer that is not ``None``
    wins.
    """


@hookspec
def spkms_on_judge_assigned(case_id: int, judge_id: int) -> None:
    """A judge was assigned to a case (after commit): by draw, override or rebalance."""


@hookspec
def spkms_on_file_moved(file_id: int, movement_id: int, kind: str) -> None:
    """A case-file volume moved (after commit).

    ``kind`` is open, checkout, return, transfer_location, transfer_court or
    receive; the movement row holds who, when, from and to.
    """


@hookspec
def spkms_on_officer_posted(user_id: int, court_id: int) -> None:
    """An officer was posted to a court (after the posting committed)."""


@hookspec
def spkms_on_profile_loaded(state: str, changes: int) -> None:
    """``spkms init`` loaded the state profile; ``changes`` rows were written."""


@hookspec
def spkms_on_case_registered(
    case_id: int, court_id: int, registered_from_court_id: int
) -> None:
    """A case was registered (after commit).

    ``court_id`` owns the case; ``registered_from_court_id`` is where it was
    keyed, which differs in a remote registration.
    """


@hookspec
def spkms_on_case_status_changed(
    case_id: int, old_status: str, new_status: str
) -> None:
    """A case moved from ``old_status`` to ``new_status`` (after commit)."""


@hookspec
def spkms_on_agency_message_received(message_id: int, agency: str, flow: str) -> None:
    """An agency's answer was applied to the case (after commit).

    ``message_id`` is the incoming ``agency_message`` row (or, for an answer
    that came back in the response itself, the outgoing one it answered).
    """


@hookspec
def spkms_on_hearing_scheduled(hearing_id: int, case_id: int) -> None:
    """A hearing was fixed for a case (after commit)."""


@hookspec
def spkms_fee_types() -> list[dict[str, Any]]:
    """Return extra fee types for the state's fee schedule.

    Called by the collections plugin while ``spkms init`` loads the profile.
    Each item is a mapping like a profile ``[[fees]]`` entry: ``code``,
    ``name``, ``revenue_code``, ``amount_sen`` and optionally ``kind`` (fee,
    registration, fine, deposit). The profile's list stays the base: a code it
    already has, or one two plugins both give, stops ``init`` with a
    ``ConfigError`` naming it.
    """


@hookspec
def spkms_on_receipt_issued(receipt_id: int, case_id: int | None) -> None:
    """An official receipt was issued (after commit), online or by an offline sync.

    ``case_id`` is the case it was paid for, or ``None``.
    """


@hookspec
def spkms_metrics_collectors() -> list[Any]:
    """Return extra figures for ``/metrics``, read at scrape time.

    Called on every scrape, inside the app context of the worker answering
    it. Each item is either a ``prometheus_client`` collector (an object with
    ``collect()`` yielding metric families, for the plugin's own metric
    names) or a ``portal.metrics.AgencyBacklog``, whose counts the host merges
    into the one ``spkms_agency_backlog`` gauge. Read shared state (the
    database, Redis) rather than process memory: any worker may answer the
    scrape. A collector that raises is logged and left out of that scrape.
    """
