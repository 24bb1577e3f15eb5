"""Clients and servers for the HTTP benchmarks: gunicorn on loopback, keep-alive.

The servers hand jobs to Redis as a deployment does (no worker runs them:
the figures are the web tier's, and the queue is emptied afterwards).

The standard library's ``http.client`` keeps one connection open per client,
so a timing holds the server's work and the loopback round trip, not the
cost of opening a connection.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Client:
    """One keep-alive connection with a cookie jar of one session cookie."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: Any = None, form: bool = False
    ) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if body is not None and form:
            payload = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed the idle keep-alive connection before this
            # request reached it: open a new one and send it again.
            self.connection.close()
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def login_form(self, username: str, password: str) -> None:
        """Log in through the login screen, CSRF token and all."""
        status, page = self.request("GET", "/login/")
        found = _CSRF.search(page.decode())
        if status != 200 or found is None:
            raise RuntimeError(f"login page answered {status}")
        status, _ = self.request(
            "POST",
            "/login/",
            {"username": username, "password": password, "csrf_token": found[1]},
            form=True,
        )
        if status != 302:
            raise RuntimeError(f"login of {username} answered {status}")

    def login_api(self, username: str, password: str) -> None:
        """A bearer token from the API's own login."""
        status, data = self.request(
            "POST",
            "/api/v1/security/login",
            {"username": username, "password": password, "provider": "db"},
        )
        if status != 200:
            raise RuntimeError(f"API login of {username} answered {status}: {data!r}")
        self.headers["Authorization"] = f"Bearer {json.loads(data)['access_token']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """``benchmarks.server:create()`` under gunicorn on a loopback port."""

    def __init__(
        self,
        database_url: str,
        *,
        redis_url: str,
        queue: str,
        versioning: bool = True,
        workers: int = 2,
    ) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "SPKMS_DATABASE_URL": database_url,
            "SPKMS_REDIS_URL": redis_url,
            "SPKMS_QUEUE_NAME": queue,
            "SPKMS_BENCH_VERSIONING": "1" if versioning else "0",
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.log = open(f"/tmp/spkms-bench-gunicorn-{self.port}.log", "wb")  # noqa: SIM115, S108
        self.process = subprocess.Popen(  # noqa: S603
            [
                str(gunicorn),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--timeout",
                "120",
                "benchmarks.server:create()",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            try:
                status, _ = Client(self.port).request("GET", "/login/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer within 120 s")

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process, in MB."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        sizes = []
        for pid in children.read_text().split():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
