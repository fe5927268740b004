"""Access checks on one CRM record, made at the portal with the user's own token.

No documented REST method returns a user's CRM role: `user.admin` returns only
whether the user administers the portal, and `user.access` checks access codes
such as groups and departments (api-reference/common/users/ in
bitrix24/b24restdocs). What the docs do promise is that `crm.item.*` methods
called with a user's token apply that user's CRM permissions:

- `crm.item.get` fails with `ACCESS_DENIED` when the user may not read the item
  (api-reference/crm/universal/crm-item-get.md);
- `crm.item.update` checks access permissions first, fails with `ACCESS_DENIED`
  without the right to change the item, and does not save when no field value
  changes (api-reference/crm/universal/crm-item-update.md).

So the read check is `crm.item.get`, and the edit check is `crm.item.update`
that writes the item's own title back: the portal applies the user's change
right and saves nothing. Results are cached briefly per portal, user and record,
because a card's tab and its actions ask about the same record within seconds.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import Flask, current_app
from redis import Redis

from b24app.bitrix.errors import BitrixError, NotFoundError, QueryLimitExceeded
from b24app.tenancy.models import Portal
from b24app.web.memory_cache import MemoryCache
from b24app.web.user_check import UserCheckFailed, check_endpoint, post_user_method

log = logging.getLogger(__name__)

DEAL, CONTACT, COMPANY = 2, 3, 4
CACHE_SECONDS = 60
# Seconds to wait before each retry of a call rejected with QUERY_LIMIT_EXCEEDED.
RATE_LIMIT_WAITS = (0.5, 1.0)
CACHE_PREFIX = "b24app:crm-access:"
EXTENSION_KEY = "b24app.web.crm_access_cache"


class AccessCheckFailed(Exception):
    """The portal could not be asked (timeout, 5xx, expired token); deny for now."""


def can_read(
    portal: Portal, user_id: int, auth_id: str, entity_type_id: int, record_id: int
) -> bool:
    """Return whether the user may read the record; raise AccessCheckFailed."""
    key = cache_key(portal.id, user_id, "read", entity_type_id, record_id)
    cached = access_cache().get(key)
    if cached is not None:
        return bool(cached)

    readable = read_item(portal, auth_id, entity_type_id, record_id) is not None
    access_cache().set(key, readable, CACHE_SECONDS)
    return readable


def can_edit(portal: Portal, user_id: int, auth_id: str, deal_id: int) -> bool:
    """Return whether the user may change a deal; raise AccessCheckFailed.

    A deal the user cannot read is one the user cannot change.
    """
    # NOTE: rights per stage ("Insufficient permissions to change the stage")
    # cannot be probed without moving the deal. The outbox job then writes the
    # move with the app's token, so such a stage right is not enforced.
    key = cache_key(portal.id, user_id, "edit", DEAL, deal_id)
    cached = access_cache().get(key)
    if cached is not None:
        return bool(cached)

    item = read_item(portal, auth_id, DEAL, deal_id)
    editable = item is not None and unchanged_update(portal, auth_id, item)
    access_cache().set(key, editable, CACHE_SECONDS)
    log.info(
        "portal %s: user %s may%s change deal %s",
        portal.id,
        user_id,
        "" if editable else " not",
        deal_id,
    )
    return editable


def read_item(
    portal: Portal, auth_id: str, entity_type_id: int, record_id: int
) -> dict[str, Any] | None:
    """Return the item as the user sees it, or None if denied or not found."""
    params = {"entityTypeId": entity_type_id, "id": record_id}
    body = user_call(portal, "crm.item.get", auth_id, params)
    if body is None:
        return None
    item = (body.get("result") or {}).get("item")
    return item if isinstance(item, dict) else None


def unchanged_update(portal: Portal, auth_id: str, item: dict[str, Any]) -> bool:
    """Write the deal's own title back; True unless the portal denies the change."""
    params = {
        "entityTypeId": DEAL,
        "id": item.get("id"),
        "fields": {"title": item.get("title") or ""},
    }
    return user_call(portal, "crm.item.update", auth_id, params) is not None


def user_call(
    portal: Portal, method: str, auth_id: str, params: dict[str, Any]
) -> dict[str, Any] | None:
    """Call `method` as the user; None means access denied or no such record."""
    endpoint = portal.client_endpoint
    try:
        check_endpoint(endpoint)
        return post_with_retry(portal, endpoint, method, auth_id, params)
    except NotFoundError:
        return None
    except BitrixError as error:
        if error.code == "ACCESS_DENIED":
            return None
        log.warning("portal %s: %s as the user failed: %s", portal.id, method, error)
        raise AccessCheckFailed(str(error)) from None
    except UserCheckFailed as error:
        raise AccessCheckFailed(str(error)) from None


def post_with_retry(
    portal: Portal, endpoint: str, method: str, auth_id: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Post as the user, waiting out a full request bucket up to twice.

    The portal's leaky bucket drains at 2 requests per second by default (see
    `b24app.bitrix.limiter`), so half a second frees a slot. Other errors are
    raised at once.
    """
    for wait in RATE_LIMIT_WAITS:
        try:
            return post_user_method(endpoint, method, auth_id, params)
        except QueryLimitExceeded:
            log.info("portal %s: %s as the user rate-limited", portal.id, method)
            time.sleep(wait)
    return post_user_method(endpoint, method, auth_id, params)


def cache_key(portal_id: int, user_id: int, kind: str, type_id: int, id_: int) -> str:
    return f"{CACHE_PREFIX}{portal_id}:{user_id}:{kind}:{type_id}:{id_}"


class RedisJsonCache:
    """JSON values in Redis, shared by every web process."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def get(self, key: str) -> Any:
        raw = self.redis.get(key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, seconds: int) -> None:
        self.redis.set(key, json.dumps(value), ex=seconds)


def init_app(app: Flask) -> None:
    """Create the access cache: Redis when configured, else memory."""
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        app.extensions[EXTENSION_KEY] = RedisJsonCache(Redis.from_url(redis_url))
    else:
        app.extensions[EXTENSION_KEY] = MemoryCache()


def access_cache() -> RedisJsonCache | MemoryCache:
    """Return the app's cache of access results."""
    return current_app.extensions[EXTENSION_KEY]
