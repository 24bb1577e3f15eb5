"""The offline counter talking to the portal: cache, reserve, sync.

Plain ``urllib`` with signed requests (``signing``). Any network failure
marks the counter offline and leaves everything in the store; the next
``sync`` goes on where the last one stopped, and the portal takes each
receipt once, so sending a batch again is harmless.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from plugins.collections import signing
from plugins.collections.counter.store import CounterStore

logger = logging.getLogger(__name__)

#: Receipts per sync request: one portal transaction each.
BATCH_SIZE = 200
#: A batch may take the portal several seconds; a timeout is harmless (resent).
TIMEOUT_SECONDS = 60


class Offline(Exception):
    """The portal could not be reached."""


class ServerRefused(Exception):
    """The portal answered with a refusal; ``body`` holds its reasons."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{status}: {body.get('message') or body.get('refused')}")


@dataclass
class SyncReport:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    queued: int = 0
    cancellations: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)


class CounterClient:
    """One counter's connection to the portal, over its store."""

    def __init__(self, store: CounterStore, *, block_size: int = 100) -> None:
        self.store = store
        self.block_size = block_size
        self.online: bool | None = None

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        server = self.store.get("server") or ""
        code = self.store.get("counter_code") or ""
        secret = self.store.get("secret") or ""
        url = f"{server}/counter-api/v1{path}"
        body = json.dumps(payload).encode()
        headers = signing.signed_headers(code, secret, "POST", urlsplit(url).path, body)
        headers["Content-Type"] = "application/json"
        if urlsplit(url).scheme not in ("http", "https"):
            raise Offline(f"server address must be http(s), not {server!r}")
        request = urllib.request.Request(  # noqa: S310  (scheme checked above)
            url, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            self.online = True
            try:
                answer = json.loads(exc.read() or b"{}")
            except ValueError:
                answer = {"message": exc.reason}
            raise ServerRefused(exc.code, answer) from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            self.online = False
            logger.warning("counter %s offline: %s", code, exc)
            raise Offline(str(exc)) from exc
        self.online = True
        return answer

    def refresh(self) -> dict[str, Any]:
        """Cache the fee schedule, open cases and blocks; reserve if running low."""
        snapshot = self._post("/hello", {})
        self.store.cache(snapshot)
        self.reserve_if_low()
        return snapshot

    def reserve_if_low(self) -> bool:
        if not self.store.is_low():
            return False
        block = self._post("/blocks", {"size": self.block_size})
        self.store.add_block(block["first"], block["last"])
        logger.info(
            "counter %s reserved %s-%s",
            self.store.get("counter_code"),
            block["first"],
            block["last"],
        )
        return True

    def sync(self, batch_size: int = BATCH_SIZE) -> SyncReport:
        """Send waiting receipts in order, then cancellations; stop at a refusal."""
        report = SyncReport()
        while True:
            batch = self.store.pending(batch_size)
            if not batch:
                break
            report.sent += len(batch)
            try:
                answer = self._post("/receipts", {"receipts": batch})
            except ServerRefused as exc:
                answer = exc.body
                if "accepted" not in answer:
                    raise
            taken = answer["accepted"] + answer["duplicates"] + answer["queued"]
            self.store.mark_synced(taken)
            report.accepted += len(answer["accepted"])
            report.duplicates += len(answer["duplicates"])
            report.queued += len(answer["queued"])
            if answer.get("refused"):
                report.refused.append(answer["refused"])
                break
        cancellations = self.store.pending_cancellations()
        if cancellations and not report.refused:
            try:
                answer = self._post("/cancellations", {"cancellations": cancellations})
            except ServerRefused as exc:
                answer = exc.body
                if "accepted" not in answer:
                    raise
            done = answer["accepted"] + answer["duplicates"] + answer["queued"]
            self.store.mark_synced(done, table="cancellation")
            report.cancellations += len(done)
            if answer.get("refused"):
                report.refused.append(answer["refused"])
        self.store.put("last_sync", datetime.now(UTC).isoformat(timespec="seconds"))
        logger.info(
            "counter %s synced: sent=%d accepted=%d duplicates=%d queued=%d",
            self.store.get("counter_code"),
            report.sent,
            report.accepted,
            report.duplicates,
            report.queued,
        )
        return report

    def sync_and_refresh(self) -> SyncReport | None:
        """What the screen runs now and then: sync, recache, top up numbers."""
        try:
            report = self.sync()
            self.refresh()
        except Offline:
            return None
        return report
