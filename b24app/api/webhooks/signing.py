"""Webhook signatures: HMAC-SHA256 over `timestamp.body` with the endpoint's secret.

Receivers recompute the signature from the `B24App-Webhook-Timestamp` header
and the raw body, compare it in constant time, and reject timestamps more than
five minutes from their clock, which stops replays of old deliveries.
"""

import hashlib
import hmac
import secrets
import time

ID_HEADER = "B24App-Webhook-Id"
TIMESTAMP_HEADER = "B24App-Webhook-Timestamp"
SIGNATURE_HEADER = "B24App-Webhook-Signature"
EVENT_HEADER = "B24App-Webhook-Event"
SIGNATURE_VERSION = "v1"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header value: `v1=<hex HMAC-SHA256>`."""
    message = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(
    secret: str,
    timestamp_header: str,
    body: bytes,
    signature_header: str,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """Check a delivery as a receiver would: timestamp fresh and signature equal."""
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return hmac.compare_digest(expected, signature_header.strip())
