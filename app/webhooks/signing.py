"""Webhook signatures in the Standard Webhooks form (https://www.standardwebhooks.com).

Each request carries three headers:

- ``webhook-id``: the event's id, the same on every retry (receivers deduplicate on it);
- ``webhook-timestamp``: Unix seconds when this attempt was signed;
- ``webhook-signature``: ``v1,`` + base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}")).

The secret is ``whsec_`` + base64 of 32 random bytes, and the HMAC key is those bytes, as in
the Standard Webhooks libraries, so a receiver can verify with any of them, or with
``verify()`` below. Pure functions: no I/O, no clock of their own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a secret)
SECRET_BYTES = 32
SIGNATURE_VERSION = "v1"
# A signed request older or newer than this is refused by verify(): a replay window.
TOLERANCE_SECONDS = 5 * 60


class InvalidSignature(Exception):
    """The request was not signed with this secret, or not recently."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key a ``whsec_`` secret stands for. ValueError for anything else."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("A webhook secret starts with 'whsec_'.")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise ValueError("A webhook secret is 'whsec_' followed by base64.") from exc
    if not key:
        raise ValueError("A webhook secret must not be empty.")
    return key


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC>`` of ``{id}.{timestamp}.{body}``."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION}," + base64.b64encode(digest).decode("ascii")


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers for one attempt at posting ``body``."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, event_id, timestamp, body),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float) -> None:
    """Check a received request: raises InvalidSignature unless one of the space-separated
    ``v1`` signatures matches and the timestamp is within ``TOLERANCE_SECONDS`` of ``now``
    (Unix seconds). ``headers`` is looked up in lower case (HTTP libraries' mappings are
    case-insensitive; a plain dict must use lower-case names)."""
    event_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    given = headers.get("webhook-signature", "")
    if not event_id or not stamp or not given:
        raise InvalidSignature(
            "The webhook-id, webhook-timestamp or webhook-signature header is missing."
        )
    try:
        timestamp = int(stamp)
    except ValueError as exc:
        raise InvalidSignature("webhook-timestamp is not a whole number of seconds.") from exc
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise InvalidSignature(
            "webhook-timestamp is too far from now: a replay, or a clock out of step."
        )
    expected = signature(secret, event_id, timestamp, body)
    for candidate in given.split():
        if hmac.compare_digest(candidate.encode(), expected.encode()):
            return
    raise InvalidSignature("No signature matches this secret.")
