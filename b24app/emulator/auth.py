"""OAuth codes, access and refresh tokens, and incoming webhooks of the portal."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass


@dataclass
class AccessToken:
    """An issued access token and the user it acts for."""

    user_id: int
    expires_at: float
    scope: str


@dataclass
class RefreshToken:
    """A single-use refresh token; `used` is set when it is exchanged."""

    user_id: int
    expires_at: float
    used: bool = False


@dataclass
class Webhook:
    """An incoming webhook: calls run as `user_id` with the webhook's scopes."""

    user_id: int
    secret: str
    scope: str


@dataclass
class Caller:
    """The authenticated side of a REST call."""

    user_id: int
    kind: str  # "app" or "webhook"
    key: str  # identity used for the operating-time meter
    token: str | None = None
    scope: str = ""


class TokenStore:
    """Codes and tokens; the caller holds the portal lock around every method."""

    def __init__(self, access_ttl: int, refresh_ttl: int, code_ttl: int) -> None:
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.code_ttl = code_ttl
        self.codes: dict[str, tuple[int, float]] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.webhooks: dict[str, Webhook] = {}

    def issue_code(self, user_id: int) -> str:
        """Issue an authorization code that lives `code_ttl` seconds."""
        code = secrets.token_hex(16)
        self.codes[code] = (user_id, time.time() + self.code_ttl)
        return code

    def take_code(self, code: str) -> int | None:
        """Consume a code; return its user id, or None if unknown or expired."""
        entry = self.codes.pop(code, None)
        if entry is None or entry[1] < time.time():
            return None
        return entry[0]

    def issue_pair(self, user_id: int, scope: str) -> tuple[str, str, float]:
        """Issue an access and a refresh token; return them with the expiry time."""
        access = secrets.token_hex(32)
        refresh = secrets.token_hex(32)
        expires_at = time.time() + self.access_ttl
        self.access[access] = AccessToken(user_id, expires_at, scope)
        self.refresh[refresh] = RefreshToken(user_id, time.time() + self.refresh_ttl)
        return access, refresh, expires_at

    def take_refresh(self, token: str) -> int | None:
        """Mark a refresh token used; return its user id, or None if unusable."""
        entry = self.refresh.get(token)
        if entry is None or entry.used or entry.expires_at < time.time():
            return None
        entry.used = True
        return entry.user_id

    def expire_access_tokens(self) -> int:
        """Make every access token expired, as if an hour had passed."""
        for entry in self.access.values():
            entry.expires_at = 0.0
        return len(self.access)

    def revoke_all(self) -> None:
        """Forget every OAuth token, as uninstalling the app does."""
        self.codes.clear()
        self.access.clear()
        self.refresh.clear()

    def add_webhook(self, user_id: int, scope: str) -> Webhook:
        """Create an incoming webhook for a user."""
        hook = Webhook(user_id, secrets.token_hex(8), scope)
        self.webhooks[hook.secret] = hook
        return hook
