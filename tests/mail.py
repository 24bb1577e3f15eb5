"""A real SMTP server on loopback that keeps what it receives (aiosmtpd)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """Messages the server accepted, parsed, in arrival order."""

    port: int
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"

    def to(self, address: str, containing: str = "") -> list[Message]:
        """Messages for ``address`` whose subject contains ``containing``."""
        return [
            m
            for m in self.messages
            if m["To"] == address and containing in str(m["Subject"])
        ]


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[Mailbox]:
    """Run the server for the block; ``port`` lets a test stop and restart it."""
    mailbox = Mailbox(port=port or free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
