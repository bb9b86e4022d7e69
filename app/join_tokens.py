"""Short-lived signed join tokens: the room page issues one, the signaling socket checks it.

In the spirit of LiveKit's access tokens: who (user, name, role), where (room), what they may
do (grants), and until when. Signed with the app's secret key; nothing is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "rounds.join-token.v1"
DEFAULT_TTL_SECONDS = 120


class TokenInvalid(Exception):
    """Forged, malformed or for another purpose."""


class TokenExpired(TokenInvalid):
    pass


@dataclass(frozen=True)
class JoinGrant:
    room_id: str
    user_id: int
    display_name: str
    role: str
    title: str
    starts_at: str
    """ISO 8601, UTC: learners wait until then unless a host has opened the room."""
    closes_at: str
    """ISO 8601, UTC: the room closes then (scheduled end plus the overrun grace)."""
    can_publish: bool = True
    can_subscribe: bool = True
    can_share_screen: bool = False
    is_host: bool = False
    auto_record: bool = False
    """The session records from the moment its room opens (the activity's setting)."""
    guest_id: int | None = None
    """A meeting guest (their invitation's id); ``user_id`` is then 0."""
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(8))


class JoinTokens:
    def __init__(self, secret_key: str, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)
        self.ttl_seconds = ttl_seconds

    def issue(self, grant: JoinGrant) -> str:
        return self._serializer.dumps(asdict(grant))

    def verify(self, token: str) -> JoinGrant:
        try:
            data = self._serializer.loads(token, max_age=self.ttl_seconds)
        except SignatureExpired:
            raise TokenExpired("This join link has expired; reload the room page.") from None
        except BadSignature:
            raise TokenInvalid("This join token is not valid.") from None
        try:
            return JoinGrant(**data)
        except TypeError:
            raise TokenInvalid("This join token is not valid.") from None
