"""The database TokenStore: each portal's OAuth tokens, encrypted in its row.

Bitrix24 refresh tokens are single-use, so two processes must never refresh one
portal at once. `lock()` excludes other processes: on PostgreSQL it holds the
portal row with `SELECT ... FOR UPDATE` in a connection of its own, and
`load()`/`save()` in the same thread run on that connection; elsewhere (SQLite in
the embedded mode) it takes a Redis lock when Redis is configured, or a lock of
this process. `save()` is a compare-and-swap on `token_version` in every case,
so a writer that lost a race never overwrites newer tokens.

Callers must commit their own session before a REST call that may refresh: an
uncommitted change to the portal row would block the row lock.
"""

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import OperationalError

from b24app.bitrix.errors import AuthorizationRevoked, TokenLockTimeout
from b24app.bitrix.tokens import TokenPair, redis_lock
from b24app.tenancy.crypto import TokenCipher
from b24app.tenancy.models import Portal, PortalState, utcnow

log = logging.getLogger(__name__)

CIPHER_KEY = "b24app.token_cipher"
portal_table = Portal.__table__


def token_cipher(app: Flask | None = None) -> TokenCipher:
    """Return the app's TokenCipher, built once from B24_TOKEN_KEY."""
    app = app or current_app
    cipher = app.extensions.get(CIPHER_KEY)
    if cipher is None:
        cipher = TokenCipher(app.config["B24_TOKEN_KEY"])
        app.extensions[CIPHER_KEY] = cipher
    return cipher


def write_tokens(portal: Portal, pair: TokenPair, cipher: TokenCipher) -> None:
    """Put a token pair on a portal row unconditionally (install, ONAPPINSTALL)."""
    portal.access_token_encrypted = cipher.encrypt(pair.access_token)
    portal.refresh_token_encrypted = cipher.encrypt(pair.refresh_token)
    portal.token_key_id = cipher.current_key_id
    portal.token_expires_at = pair.expires_at
    portal.token_version = (portal.token_version or 0) + 1


class PortalTokenStore:
    """The wire client's TokenStore over the `portal` table, keyed by member_id."""

    def __init__(
        self,
        engine: Engine,
        cipher: TokenCipher,
        redis: Any = None,
        lock_timeout: float = 30.0,
    ) -> None:
        self.engine = engine
        self.cipher = cipher
        self.redis = redis
        self.lock_timeout = lock_timeout
        self.row_locks = engine.dialect.name == "postgresql"
        self._held = threading.local()
        self._local_locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()

    def load(self, portal_key: str) -> TokenPair:
        """Return the stored pair; raises AuthorizationRevoked when there is none."""
        statement = select(
            portal_table.c.access_token_encrypted,
            portal_table.c.refresh_token_encrypted,
            portal_table.c.token_expires_at,
            portal_table.c.token_version,
        ).where(portal_table.c.member_id == portal_key)

        with self._connection(portal_key) as connection:
            row = connection.execute(statement).one_or_none()
        if row is None or not row.access_token_encrypted:
            raise AuthorizationRevoked(
                f"portal {portal_key} has no stored tokens: reinstall the app"
            )

        return TokenPair(
            access_token=self.cipher.decrypt(row.access_token_encrypted),
            refresh_token=self.cipher.decrypt(row.refresh_token_encrypted),
            expires_at=_aware(row.token_expires_at),
            version=row.token_version,
        )

    def lock(self, portal_key: str) -> contextlib.AbstractContextManager[Any]:
        """Exclude every other process from refreshing this portal's tokens."""
        if self.row_locks:
            return self._row_lock(portal_key)
        if self.redis is not None:
            return redis_lock(
                self.redis,
                f"b24app:token-lock:{portal_key}",
                timeout=self.lock_timeout,
                blocking_timeout=self.lock_timeout,
            )
        with self._guard:
            return self._local_locks.setdefault(portal_key, threading.RLock())

    def save(self, portal_key: str, new: TokenPair, previous: TokenPair) -> bool:
        """Store `new` if the row still contains `previous` (same token_version)."""
        statement = (
            update(portal_table)
            .where(
                portal_table.c.member_id == portal_key,
                portal_table.c.token_version == previous.version,
            )
            .values(
                access_token_encrypted=self.cipher.encrypt(new.access_token),
                refresh_token_encrypted=self.cipher.encrypt(new.refresh_token),
                token_key_id=self.cipher.current_key_id,
                token_expires_at=new.expires_at,
                token_version=portal_table.c.token_version + 1,
                updated_at=utcnow(),
            )
        )
        with self._connection(portal_key, write=True) as connection:
            saved = connection.execute(statement).rowcount == 1

        if not saved:
            log.info(
                "portal %s: tokens changed meanwhile, refresh not stored", portal_key
            )
        return saved

    def mark_reauthorization_needed(self, portal_key: str, reason: str) -> None:
        """Move an active portal to needs_reauth; the reason contains no secret."""
        statement = (
            update(portal_table)
            .where(
                portal_table.c.member_id == portal_key,
                portal_table.c.state == PortalState.ACTIVE,
            )
            .values(
                state=PortalState.NEEDS_REAUTH,
                state_reason=reason[:200],
                updated_at=utcnow(),
            )
        )
        with self._connection(portal_key, write=True) as connection:
            connection.execute(statement)
        log.warning("portal %s needs re-authorization: %s", portal_key, reason)

    def update_domain(
        self, portal_key: str, new_domain: str, new_client_endpoint: str
    ) -> None:
        """Record the portal's new address after Bitrix24 reported a rename."""
        statement = (
            update(portal_table)
            .where(portal_table.c.member_id == portal_key)
            .values(
                domain=new_domain,
                client_endpoint=new_client_endpoint,
                updated_at=utcnow(),
            )
        )
        with self._connection(portal_key, write=True) as connection:
            connection.execute(statement)
        log.info("portal %s moved to %s", portal_key, new_domain)

    @contextlib.contextmanager
    def _row_lock(self, portal_key: str) -> Iterator[None]:
        held = self._held_connections()
        if portal_key in held:
            # Re-entrant: the client may lock again while refreshing.
            yield
            return

        with self.engine.connect() as connection:
            with connection.begin():
                timeout_ms = int(self.lock_timeout * 1000)
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = {timeout_ms}")
                try:
                    connection.execute(
                        select(portal_table.c.id)
                        .where(portal_table.c.member_id == portal_key)
                        .with_for_update()
                    )
                except OperationalError:
                    raise TokenLockTimeout(
                        f"portal {portal_key}: token row lock not acquired in "
                        f"{self.lock_timeout} s"
                    ) from None

                held[portal_key] = connection
                try:
                    yield
                finally:
                    del held[portal_key]

    @contextlib.contextmanager
    def _connection(self, portal_key: str, write: bool = False) -> Iterator[Connection]:
        """Use the connection holding this portal's row lock, or a short one."""
        held = self._held_connections().get(portal_key)
        if held is not None:
            yield held
            return
        if write:
            with self.engine.begin() as connection:
                yield connection
            return
        with self.engine.connect() as connection:
            yield connection

    def _held_connections(self) -> dict[str, Connection]:
        if not hasattr(self._held, "connections"):
            self._held.connections = {}
        return self._held.connections


def _aware(moment: dt.datetime | None) -> dt.datetime:
    if moment is None:
        return dt.datetime.fromtimestamp(0, tz=dt.UTC)
    if moment.tzinfo is None:
        # SQLite returns naive values; they were written in UTC.
        return moment.replace(tzinfo=dt.UTC)
    return moment
