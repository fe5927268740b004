"""OAuth token pairs and the storage interface the client refreshes them through."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

from redis.exceptions import LockError

from .errors import TokenLockTimeout

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TokenPair:
    """An access token, the refresh token that replaces it, and its expiry.

    `version` is an optional counter for stores that compare-and-swap on it.
    The tokens are left out of `repr` so that a logged pair leaks nothing.
    """

    access_token: str = dataclasses.field(repr=False)
    refresh_token: str = dataclasses.field(repr=False)
    expires_at: dt.datetime
    version: int | None = None

    def same_tokens(self, other: TokenPair) -> bool:
        """Return whether both pairs hold the same access and refresh tokens."""
        return (
            self.access_token == other.access_token
            and self.refresh_token == other.refresh_token
        )


@runtime_checkable
class TokenStore(Protocol):
    """Storage of each portal's tokens, implemented by the application.

    `lock` must exclude other processes, not only other threads, because
    Bitrix24 refresh tokens are single-use: two workers refreshing with the same
    one leave one of them with `invalid_grant`.
    """

    def load(self, portal_key: str) -> TokenPair: ...

    def lock(self, portal_key: str) -> AbstractContextManager[Any]: ...

    def save(self, portal_key: str, new: TokenPair, previous: TokenPair) -> bool:
        """Store `new` only if the stored pair still equals `previous`."""
        ...

    def mark_reauthorization_needed(self, portal_key: str, reason: str) -> None: ...


@runtime_checkable
class DomainUpdatingStore(Protocol):
    """A token store that also records a portal's new address after a rename."""

    def update_domain(
        self, portal_key: str, new_domain: str, new_client_endpoint: str
    ) -> None: ...


class MemoryTokenStore:
    """A TokenStore for one process: a dict guarded by per-portal locks."""

    def __init__(self) -> None:
        self._pairs: dict[str, TokenPair] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()
        self.reauthorization_reasons: dict[str, str] = {}
        self.domains: dict[str, tuple[str, str]] = {}
        self.saves = 0

    def put(self, portal_key: str, pair: TokenPair) -> None:
        """Store `pair` unconditionally (at install time)."""
        with self._guard:
            self._pairs[portal_key] = pair

    def load(self, portal_key: str) -> TokenPair:
        with self._guard:
            return self._pairs[portal_key]

    def lock(self, portal_key: str) -> AbstractContextManager[Any]:
        with self._guard:
            portal_lock = self._locks.setdefault(portal_key, threading.RLock())
        return portal_lock

    def save(self, portal_key: str, new: TokenPair, previous: TokenPair) -> bool:
        with self._guard:
            current = self._pairs.get(portal_key)
            if current is None or not current.same_tokens(previous):
                return False
            if current.version != previous.version:
                return False
            next_version = None if previous.version is None else previous.version + 1
            self._pairs[portal_key] = dataclasses.replace(new, version=next_version)
            self.saves += 1
            return True

    def mark_reauthorization_needed(self, portal_key: str, reason: str) -> None:
        with self._guard:
            self.reauthorization_reasons[portal_key] = reason

    def update_domain(
        self, portal_key: str, new_domain: str, new_client_endpoint: str
    ) -> None:
        with self._guard:
            self.domains[portal_key] = (new_domain, new_client_endpoint)


@contextlib.contextmanager
def redis_lock(
    redis_client: Any,
    key: str,
    timeout: float = 30.0,
    blocking_timeout: float = 30.0,
) -> Iterator[None]:
    """Hold a redis-py Lock on `key` across processes.

    `timeout` bounds how long a crashed holder keeps the lock, so it must exceed
    one token refresh (an HTTP round trip to the OAuth server). Raises
    TokenLockTimeout when the lock is not free within `blocking_timeout` seconds.
    """
    lock = redis_client.lock(key, timeout=timeout, blocking_timeout=blocking_timeout)
    if not lock.acquire():
        raise TokenLockTimeout(f"lock {key!r} not acquired in {blocking_timeout} s")
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:
            # The lock outlived `timeout` and may now be someone else's.
            logger.warning("Lock %s expired before it was released", key)
