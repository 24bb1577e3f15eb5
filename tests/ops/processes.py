"""Real processes for the deployment tests: gunicorn portals, CLI commands, HTTP.

Everything here talks to what an operator would run: ``gunicorn -c
deploy/gunicorn.conf.py`` on a loopback port, ``spkms`` subcommands, and
plain HTTP without redirects (so a refused login shows as a 302 to the login
page, not a followed page).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def spkms(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    """Run ``spkms ARGS`` with ``env``; return its output, fail with its log."""
    done = subprocess.run(
        [str(BIN / "spkms"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, (
        f"spkms {' '.join(args)} failed ({done.returncode}):\n"
        f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


@dataclass
class Answer:
    status: int
    headers: Any
    text: str

    def json(self) -> Any:
        return json.loads(self.text)

    def cookie(self, name: str) -> str | None:
        """The value ``name`` is set to by this answer, if it sets it."""
        for header in self.headers.get_all("Set-Cookie") or []:
            key, _, rest = header.partition("=")
            if key.strip() == name:
                return rest.split(";", 1)[0]
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(
    method: str,
    url: str,
    *,
    form: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> Answer:
    """One HTTP request; any status comes back as an ``Answer``."""
    data = None
    sent = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Answer(response.status, response.headers, response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read().decode())


class Portal:
    """One ``gunicorn -c deploy/gunicorn.conf.py`` on a loopback port."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "SPKMS_BIND": f"127.0.0.1:{self.port}"}
        self.log_path = log_dir / f"portal-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Portal:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def wait_ready(self, timeout: float = 60) -> dict[str, Any]:
        """Poll ``/health/ready`` until it answers 200; return its body."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"portal {self.name} exited:\n{self.log()}")
            try:
                answer = http("GET", f"{self.url}/health/ready", timeout=5)
            except OSError:
                time.sleep(0.2)
                continue
            if answer.status == 200:
                return answer.json()
            time.sleep(0.2)
        raise AssertionError(
            f"portal {self.name} not ready in {timeout}s:\n{self.log()}"
        )

    def get(self, path: str, **kwargs: Any) -> Answer:
        return http("GET", self.url + path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Answer:
        return http("POST", self.url + path, **kwargs)

    def terminate(self) -> None:
        """Ask gunicorn to stop (SIGTERM) without waiting for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def stop(self) -> None:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def base_env(**extra: str) -> dict[str, str]:
    """The environment of a deployed process: this one's, minus stray SPKMS_*."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SPKMS_", "PROMETHEUS_"))
    }
    env.update(extra)
    return env
