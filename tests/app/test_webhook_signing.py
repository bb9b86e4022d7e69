"""Webhook signatures: the Standard Webhooks scheme, checked against an independent
computation and a published test vector, and verify() refusing what it must."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from app.webhooks.signing import (
    TOLERANCE_SECONDS,
    InvalidSignature,
    new_secret,
    secret_key,
    sign,
    signature,
    verify,
)

# The example of the Standard Webhooks specification (and of the svix libraries' tests).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_matches_the_specifications_example() -> None:
    assert signature(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_the_signature_is_hmac_sha256_of_id_timestamp_and_body() -> None:
    secret = new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    body = b'{"type":"credit.claimed","data":{"credits":"0.75"}}'
    expected = base64.b64encode(
        hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    ).decode()
    headers = sign(secret, "msg_1", 1700000000, body)
    assert headers == {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": "v1," + expected,
    }


def test_new_secrets_are_32_random_bytes_and_differ() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert first.startswith("whsec_") and len(secret_key(first)) == 32


def test_verify_accepts_a_fresh_signature_and_any_listed_one() -> None:
    secret = new_secret()
    body = b'{"a":1}'
    headers = sign(secret, "msg_x", 1_700_000_000, body)
    verify(secret, headers, body, now=1_700_000_000 + TOLERANCE_SECONDS)
    rotated = {**headers, "webhook-signature": "v1,bm90IGl0 " + headers["webhook-signature"]}
    verify(secret, rotated, body, now=1_700_000_000)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"body": b'{"a":2}'}, "No signature matches"),
        ({"secret": "other"}, "No signature matches"),
        ({"webhook-id": "msg_y"}, "No signature matches"),
        ({"webhook-timestamp": "1700000001"}, "No signature matches"),
        ({"now": 1_700_000_000 + TOLERANCE_SECONDS + 1}, "too far from now"),
        ({"now": 1_700_000_000 - TOLERANCE_SECONDS - 1}, "too far from now"),
        ({"webhook-timestamp": "soon"}, "whole number"),
        ({"webhook-signature": ""}, "missing"),
        ({"webhook-signature": "v1,"}, "No signature matches"),
    ],
)
def test_verify_refuses_what_was_not_signed_with_the_secret_or_is_stale(
    change: dict[str, object], why: str
) -> None:
    secret = new_secret()
    body = b'{"a":1}'
    headers = sign(secret, "msg_x", 1_700_000_000, body)
    headers.update({k: str(v) for k, v in change.items() if k.startswith("webhook-")})
    used_secret = new_secret() if change.get("secret") else secret
    used_body = change.get("body", body)
    now = change.get("now", 1_700_000_000)
    assert isinstance(used_body, bytes) and isinstance(now, int)
    with pytest.raises(InvalidSignature, match=why):
        verify(used_secret, headers, used_body, now=now)


@pytest.mark.parametrize("bad", ["", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_***"])
def test_a_malformed_secret_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        secret_key(bad)
