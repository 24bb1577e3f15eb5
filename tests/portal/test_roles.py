"""Roles: declared in code, least privilege, merged with plugins, adjustable."""

from __future__ import annotations

from portal.app import spkms
from portal.security.roles import BUILTIN_ROLES, merge_roles, sync_roles

WRITES = {"can_add", "can_edit", "can_delete", "can_post", "can_put", "can_restore"}


def _grants(app, role_name: str) -> set[tuple[str, str]]:
    sm = app.appbuilder.sm
    role = sm.find_role(role_name)
    assert role is not None, f"role {role_name} missing"
    return {(pv.view_menu.name, pv.permission.name) for pv in role.permissions}


def test_every_declared_role_exists(app_ctx) -> None:
    names = {role.name for role in app_ctx.appbuilder.sm.get_all_roles()}
    assert set(BUILTIN_ROLES) <= names


def test_auditor_reads_the_trail_and_writes_nothing(app_ctx) -> None:
    grants = _grants(app_ctx, "Auditor")
    assert ("AccessLogView", "can_list") in grants
    assert ("AuditTrailView", "can_download") in grants
    assert not {perm for _view, perm in grants} & WRITES


def test_only_admin_may_restore(app_ctx) -> None:
    holders = {
        role.name
        for role in app_ctx.appbuilder.sm.get_all_roles()
        if ("AuditTrailView", "can_restore")
        in {(pv.view_menu.name, pv.permission.name) for pv in role.permissions}
    }
    assert holders == {"Admin"}


def test_clerk_has_no_audit_or_security_screens(app_ctx) -> None:
    views = {view for view, _perm in _grants(app_ctx, "Clerk")}
    assert not views & {"AccessLogView", "AuditTrailView", "UserDBModelView"}
    assert "CaseTypeView" in views  # contributed by the cases plugin


def test_plugin_contributions_are_merged(app_ctx) -> None:
    merged = merge_roles(spkms().hook.spkms_register_roles())
    assert any("FeeType" in view for view, _ in merged["Cashier"])
    assert merged["Admin"] == BUILTIN_ROLES["Admin"]


def test_admin_adjustments_survive_a_resync(app_ctx) -> None:
    sm = app_ctx.appbuilder.sm
    role = sm.find_role("Records Officer")
    extra = sm.find_permission_view_menu("can_list", "JudgeView")
    assert extra not in role.permissions
    role.permissions.append(extra)
    sm.session.commit()
    added = sync_roles(sm, merge_roles(spkms().hook.spkms_register_roles()))
    assert added == 0
    assert ("JudgeView", "can_list") in _grants(app_ctx, "Records Officer")
    role.permissions.remove(extra)
    sm.session.commit()
