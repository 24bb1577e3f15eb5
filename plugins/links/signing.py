"""Signing of messages between the portal and an agency (both directions).

The signature is HMAC-SHA256, keyed with the agency's shared secret, over
``<timestamp>.<body>``: the timestamp header is covered, so a captured
message cannot be replayed later with a fresh timestamp. Requests older or
newer than ``max_age`` seconds are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time

#: Header carrying the sender's Unix time in whole seconds.
TIMESTAMP_HEADER = "X-SPKMS-Timestamp"
#: Header carrying the hex HMAC-SHA256 of ``<timestamp>.<body>``.
SIGNATURE_HEADER = "X-SPKMS-Signature"
#: Header carrying the sender's unique key of the message.
IDEMPOTENCY_HEADER = "X-SPKMS-Idempotency-Key"


class SignatureError(ValueError):
    """The signature is missing (``missing`` True) or does not verify."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        self.reason = reason
        self.missing = missing
        super().__init__(reason)


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The timestamp and signature headers for ``body``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(
        secret.encode("utf-8"), stamp.encode("ascii") + b"." + body, hashlib.sha256
    ).hexdigest()
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: digest}


def verify(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    max_age: int = 300,
    now: float | None = None,
) -> None:
    """Raise ``SignatureError`` unless ``signature`` signs ``body`` freshly."""
    if not signature or not timestamp:
        raise SignatureError(
            f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required", missing=True
        )
    if not timestamp.isdigit():
        raise SignatureError(f"{TIMESTAMP_HEADER} must be whole Unix seconds")
    age = abs((time.time() if now is None else now) - int(timestamp))
    if age > max_age:
        raise SignatureError(
            f"{TIMESTAMP_HEADER} is {int(age)} s away from now (at most {max_age})"
        )
    expected = sign(secret, body, int(timestamp))[SIGNATURE_HEADER]
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the body")
