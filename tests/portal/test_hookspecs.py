"""The hook contract keeps its promises: every hook documented and tested."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from portal import hookspecs

HOOKS = sorted(
    name
    for name, value in vars(hookspecs).items()
    if name.startswith("spkms_") and inspect.isfunction(value)
)
TESTS = Path(__file__).parent.parent


def test_hooks_follow_the_naming_families() -> None:
    families = ("spkms_register_", "spkms_on_", "spkms_load_", "spkms_demo_")
    # Decisions and changes made inside another plugin's transaction.
    in_transaction = ("spkms_assign_", "spkms_repoint_")
    registries = (
        "_strategies",
        "_rules",
        "_connectors",
        "_types",
        "_channels",
        "_panels",
        "_collectors",
    )
    odd = [
        name
        for name in HOOKS
        if not name.startswith(families + in_transaction)
        and not name.endswith(registries)
    ]
    assert odd == []


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_docstring(name: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, name)) or ""
    assert len(doc.split()) >= 6, f"{name} needs a docstring saying when and what"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_exercised_by_a_test(name: str) -> None:
    """Some test outside this file names the hook or the event it carries."""
    event = name.removeprefix("spkms_on_")
    needles = (
        {name, f'"{event}"', f"'{event}'"} if name.startswith("spkms_on_") else {name}
    )
    for path in TESTS.rglob("*.py"):
        if path.name == Path(__file__).name:
            continue
        text = path.read_text(encoding="utf-8")
        if any(needle in text for needle in needles):
            return
    pytest.fail(f"no test mentions {name}")
