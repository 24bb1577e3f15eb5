"""Signed requests between an offline counter and the portal, and the receipt chain.

A counter signs every request with HMAC-SHA256 over the method, path,
timestamp, a one-time nonce and the body's digest, keyed with the secret it
got at enrolment. The portal refuses an unknown counter, a bad signature, a
timestamp outside ``MAX_SKEW_SECONDS`` and a nonce seen before (a replay).

Each offline receipt carries the hash of the one before it, so a receipt
deleted or altered on the counter breaks the chain and is caught at sync.
No database and no Flask here: both sides import this module.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

HEADER_COUNTER = "X-SPKMS-Counter"
HEADER_TIMESTAMP = "X-SPKMS-Timestamp"
HEADER_NONCE = "X-SPKMS-Nonce"
HEADER_SIGNATURE = "X-SPKMS-Signature"
#: How far a counter's clock may be from the portal's, in seconds.
MAX_SKEW_SECONDS = 300
#: The ``prev_hash`` of a counter's first offline receipt.
GENESIS = "0" * 64


def signature(
    secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes
) -> str:
    message = "\n".join(
        [method.upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()]
    ).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    counter_code: str, secret: str, method: str, path: str, body: bytes
) -> dict[str, str]:
    """Headers of one signed request; every call makes a fresh nonce."""
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    return {
        HEADER_COUNTER: counter_code,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(secret, method, path, timestamp, nonce, body),
    }


def verify(
    secret: str,
    method: str,
    path: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    given: str,
) -> bool:
    expected = signature(secret, method, path, timestamp, nonce, body)
    return hmac.compare_digest(expected, given or "")


def canonical_json(content: dict[str, Any]) -> str:
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """The hash of a receipt: its content chained to the previous receipt's hash."""
    return hashlib.sha256(
        f"{prev_hash}\n{canonical_json(content)}".encode()
    ).hexdigest()
