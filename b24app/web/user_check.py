"""Confirm a frame's `AUTH_ID` with the portal: who the user is, and whether admin.

The check calls `user.current` and `user.admin` at the portal's stored, verified
REST endpoint, never at a host named in the request, so a forged `DOMAIN` cannot
send the token elsewhere. Results are cached for a short time under a hash of
the token, in Redis when configured and in process memory otherwise, because a
card with three tabs posts three frames within a second.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask, current_app
from redis import Redis

from b24app.bitrix.errors import (
    BitrixError,
    HostNotAllowed,
    InvalidResponseError,
    TransportError,
    error_from_body,
)
from b24app.bitrix.hosts import HostPolicy
from b24app.tenancy.clients import tls_verify
from b24app.tenancy.models import Portal
from b24app.web.memory_cache import MemoryCache

CACHE_SECONDS = 60
CACHE_PREFIX = "b24app:frame-user:"
EXTENSION_KEY = "b24app.web.user_cache"


class UserCheckFailed(Exception):
    """The portal did not confirm the token; the message names no secret."""


@dataclass(frozen=True)
class ConfirmedUser:
    """A user the portal confirmed for a token."""

    portal_id: int
    user_id: int
    is_admin: bool


def confirm_user(portal: Portal, auth_id: str) -> ConfirmedUser:
    """Return the user `auth_id` belongs to on `portal`; raise UserCheckFailed."""
    cache = user_cache()
    key = CACHE_PREFIX + hashlib.sha256(auth_id.encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None and cached.portal_id == portal.id:
        return cached

    endpoint = portal.client_endpoint
    check_endpoint(endpoint)
    current = call_with_user_token(endpoint, "user.current", auth_id)
    admin = call_with_user_token(endpoint, "user.admin", auth_id)

    user_id = _positive_int(current.get("ID") if isinstance(current, dict) else None)
    if user_id is None:
        raise UserCheckFailed("user.current returned no user id")
    user = ConfirmedUser(portal.id, user_id, admin is True)

    cache.set(key, user, CACHE_SECONDS)
    return user


def check_endpoint(endpoint: str) -> None:
    """Raise UserCheckFailed unless the stored endpoint passes the host policy."""
    config = current_app.config
    policy = HostPolicy(
        portal_domains=[d for d in config["B24_PORTAL_DOMAINS"].split(",") if d],
        allow_insecure=config["B24_ALLOW_INSECURE_PORTALS"],
    )
    try:
        policy.check_portal_endpoint(endpoint)
    except HostNotAllowed as error:
        raise UserCheckFailed(f"stored portal endpoint rejected: {error}") from None


def call_with_user_token(endpoint: str, method: str, auth_id: str) -> Any:
    """POST one REST method with the user's token and return its `result`."""
    try:
        return post_user_method(endpoint, method, auth_id).get("result")
    except BitrixError as error:
        raise UserCheckFailed(str(error)) from None


def post_user_method(
    endpoint: str, method: str, auth_id: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    """POST one REST method with the user's token; return the body or raise BitrixError.

    Parameters go as JSON, which Bitrix24 accepts next to form encoding, because
    `crm.item.*` takes nested objects.
    """
    # NOTE: a plain request, not the wire client, because this call must use the
    # user's own token once and never refresh it or touch the portal's tokens.
    timeout = min(float(current_app.config["B24_HTTP_TIMEOUT"]), 10.0)
    request: dict[str, Any] = {"data": {"auth": auth_id}}
    if params:
        request = {"json": {**params, "auth": auth_id}}
    try:
        response = requests.post(
            f"{endpoint}{method}.json",
            timeout=timeout,
            allow_redirects=False,
            verify=tls_verify(),
            **request,
        )
    except requests.RequestException as error:
        raise TransportError(f"{method} failed: {type(error).__name__}") from None

    try:
        body = response.json()
    except ValueError:
        raise InvalidResponseError(
            f"{method} returned HTTP {response.status_code}"
        ) from None
    if not isinstance(body, dict) or "error" in body or response.status_code != 200:
        body = body if isinstance(body, dict) else {}
        raise error_from_body(body, status=response.status_code, method=method)
    return body


def _positive_int(value: Any) -> int | None:
    text = str(value) if isinstance(value, int | str) else ""
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    return None


class RedisUserCache:
    """Confirmed users in Redis, shared by every web process."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def get(self, key: str) -> ConfirmedUser | None:
        raw = self.redis.get(key)
        if raw is None:
            return None
        return ConfirmedUser(**json.loads(raw))

    def set(self, key: str, user: ConfirmedUser, seconds: int) -> None:
        self.redis.set(key, json.dumps(user.__dict__), ex=seconds)


def init_app(app: Flask) -> None:
    """Create the cache of confirmed users: Redis when configured, else memory."""
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        app.extensions[EXTENSION_KEY] = RedisUserCache(Redis.from_url(redis_url))
    else:
        app.extensions[EXTENSION_KEY] = MemoryCache()


def user_cache() -> RedisUserCache | MemoryCache:
    """Return the app's cache of confirmed users."""
    return current_app.extensions[EXTENSION_KEY]
