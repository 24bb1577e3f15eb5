"""Install the sample third-party plugin the way a deployment installs one.

``tests/sample_plugin`` is a real distribution (``spkms-sample``). pip builds
and installs it into a folder of the test session, which is then put on
``sys.path``: the portal finds it only through its ``spkms.plugins`` entry
point, never because the tests import it.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from portal.settings import CONFIG_DIR

logger = logging.getLogger(__name__)

#: Source of the sample distribution.
SOURCE_DIR = Path(__file__).parent / "sample_plugin"
#: The entry-point name the sample registers under ``spkms.plugins``.
PLUGIN_NAME = "sample"
#: The state profile the test apps load (``SPKMS_STATE``'s default).
PROFILE = "terengganu.toml"
#: Every table of the sample is named with this prefix (version tables too).
TABLE_PREFIX = "sample_"

#: The ``site`` folder the plugin went into in this process, once installed.
_installed_site: Path | None = None


def install_sample_plugin(target_dir: Path) -> str:
    """pip-install the sample into ``target_dir/site``; return its plugin name.

    The source is copied first, so pip's in-tree build leaves no ``build/``
    or ``*.egg-info`` behind in the repository. The install runs offline
    (``--no-index``, ``--no-build-isolation``: the venv's setuptools builds
    it). Installing happens once per process; later calls, whatever their
    ``target_dir``, reuse that install, because a second copy of the same
    module on ``sys.path`` would only shadow the first.
    """
    global _installed_site
    if _installed_site is None:
        source = target_dir / "src"
        site = target_dir / "site"
        shutil.copytree(
            SOURCE_DIR,
            source,
            ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
        )
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(source),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"pip could not install {SOURCE_DIR} (exit {result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        sys.path.append(str(site))
        importlib.invalidate_caches()
        _installed_site = site
        logger.info("sample plugin installed into %s", site)
    return PLUGIN_NAME


def sample_tables() -> frozenset[str]:
    """The sample's tables in the process-wide metadata (none until it loads).

    Model classes put their tables into the one metadata that every app of a
    process shares, so once a test app has loaded the sample, apps that never
    enabled it see its tables there too. Tests that compare a database with
    that metadata (the migration tests) leave these out: like a state's own
    plugin, the sample is not part of the host's revisions.
    """
    from portal.extensions import db

    return frozenset(
        name for name in db.metadata.tables if name.startswith(TABLE_PREFIX)
    )


def states_dir_enabling(tmp: Path, plugin: str) -> Path:
    """Copy the state profiles into ``tmp/states`` with ``plugin`` enabled.

    ``plugin`` is appended to ``[plugins].enabled`` of the Terengganu profile;
    the rest of the file is left as it was. The edited file is parsed again to
    prove the list is exactly what the portal will read.
    """
    states = tmp / "states"
    shutil.copytree(CONFIG_DIR / "states", states)
    path = states / PROFILE
    text = path.read_text(encoding="utf-8")
    wanted = [*tomllib.loads(text)["plugins"]["enabled"], plugin]
    edited = _replace_enabled(text, wanted)
    found = tomllib.loads(edited)["plugins"]["enabled"]
    if found != wanted:
        raise AssertionError(f"{path} [plugins].enabled: wrote {wanted}, read {found}")
    path.write_text(edited, encoding="utf-8")
    return states


def _replace_enabled(text: str, names: list[str]) -> str:
    """Return ``text`` with ``[plugins].enabled`` set to ``names``.

    Finds ``enabled = [`` inside the ``[plugins]`` table, then the bracket
    that closes it, skipping brackets in strings and comments (the array may
    span lines), and writes the new array in its place on one line.
    """
    table: str | None = None
    position = 0
    opening: int | None = None
    for line in text.splitlines(keepends=True):
        header = _TABLE_HEADER.match(line)
        if header:
            table = None if header["array"] else header["name"]
        elif table == "plugins" and (key := _ENABLED_KEY.match(line)):
            opening = position + key.end() - 1
            break
        position += len(line)
    if opening is None:
        raise AssertionError("the profile has no [plugins] enabled = [...] list")
    closing = _closing_bracket(text, opening)
    # A JSON string is a valid TOML basic string.
    array = "[" + ", ".join(json.dumps(name) for name in names) + "]"
    return text[:opening] + array + text[closing + 1 :]


_TABLE_HEADER = re.compile(r"\s*\[(?P<array>\[)?\s*(?P<name>[^\]]+?)\s*\]")
_ENABLED_KEY = re.compile(r"\s*enabled\s*=\s*\[")


def _closing_bracket(text: str, opening: int) -> int:
    """Index of the bracket that closes the TOML array opened at ``opening``."""
    depth = 0
    quote: str | None = None
    index = opening
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            index = text.find("\n", index)
            if index < 0:
                break
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise AssertionError("the profile's [plugins].enabled list is not closed")
