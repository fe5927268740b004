"""Cached figures, invalidated by a per-portal data version, not only by expiry.

Every cache key includes the portal's data version. `bump_data_version` raises
it after program data changes, so the next request misses the cache and
recomputes. The version is bumped after the commit, never before: a figure
computed from the old data is then stored under the old version, which no one
reads again. ORM flushes of program tables bump it on their own (see
`install_session_hooks`); code that changes those tables with Core or bulk
statements calls `bump_data_version` itself.

With Redis the cache is shared by every process; without it (the embedded mode)
each process keeps its own dictionary.
"""

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from b24app.jobs import get_jobs

log = logging.getLogger(__name__)

EXTENSION_KEY = "b24app.analytics.cache"
PREFIX = "b24app:analytics"
# Expiry bounds memory only; correctness comes from the data version.
FIGURE_TTL_SECONDS = 6 * 3600
MEMORY_MAX_ENTRIES = 512
# The version bumped by changes whose portal is not known (bulk statements).
ALL_PORTALS = "all"

# Tables whose rows figures are computed from.
PROGRAM_TABLES = frozenset(
    {
        "university",
        "employer",
        "student",
        "term",
        "internship",
        "internship_university",
        "application",
        "application_stage_change",
        "partnership",
        "partnership_seat",
        "recruiter",
        "sync_record",
    }
)
SESSION_INFO_KEY = "b24app.analytics.changed_portals"


class FigureCache:
    """JSON figures by key, in Redis or in a bounded in-process dictionary."""

    def __init__(self, redis: Redis | None) -> None:
        self.redis = redis
        self.lock = threading.Lock()
        self.versions: dict[str, int] = {}
        self.entries: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def version(self, portal_id: int) -> str:
        """The data version of a portal, combined with the all-portals version."""
        keys = [_version_key(portal_id), _version_key(ALL_PORTALS)]
        if self.redis is None:
            with self.lock:
                values = [self.versions.get(key, 0) for key in keys]
        else:
            values = [int(value or 0) for value in self.redis.mget(keys)]
        return f"{values[0]}.{values[1]}"

    def bump(self, portal_id: int | str) -> None:
        key = _version_key(portal_id)
        if self.redis is None:
            with self.lock:
                self.versions[key] = self.versions.get(key, 0) + 1
            return
        self.redis.incr(key)

    def get(self, key: str) -> Any | None:
        if self.redis is None:
            return self._memory_get(key)
        raw = self.redis.get(key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any) -> None:
        text = json.dumps(value, separators=(",", ":"))
        if self.redis is None:
            self._memory_set(key, text)
            return
        self.redis.set(key, text, ex=FIGURE_TTL_SECONDS)

    def _memory_get(self, key: str) -> Any | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                return None
            self.entries.move_to_end(key)
            return json.loads(entry[1])

    def _memory_set(self, key: str, text: str) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic() + FIGURE_TTL_SECONDS, text)
            self.entries.move_to_end(key)
            while len(self.entries) > MEMORY_MAX_ENTRIES:
                self.entries.popitem(last=False)


def _version_key(portal_id: int | str) -> str:
    return f"{PREFIX}:version:{portal_id}"


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = FigureCache(get_jobs(app).redis)
    install_session_hooks()


def get_cache(app: Flask | None = None) -> FigureCache:
    app = app or current_app
    return app.extensions[EXTENSION_KEY]


def cached_figures(
    portal_id: int, kind: str, parameters: str, compute: Callable[[], Any]
) -> Any:
    """Return the cached figures for this key, computing and storing them on a miss.

    A Redis failure degrades to computing without the cache.
    """
    cache = get_cache()
    try:
        version = cache.version(portal_id)
        digest = hashlib.sha256(parameters.encode()).hexdigest()[:24]
        key = f"{PREFIX}:figures:{portal_id}:{version}:{kind}:{digest}"
        hit = cache.get(key)
    except RedisError:
        log.warning("figure cache unavailable, portal %s", portal_id, exc_info=True)
        return compute()

    if hit is not None:
        return hit

    value = compute()
    try:
        cache.set(key, value)
    except RedisError:
        log.warning("figure not cached, portal %s", portal_id, exc_info=True)
    return value


def bump_data_version(portal_id: int | None) -> None:
    """Mark a portal's figures stale; call after committing a change to its data.

    `None` marks every portal's figures stale.
    """
    target = ALL_PORTALS if portal_id is None else portal_id
    try:
        get_cache().bump(target)
    except RedisError:
        # A missed bump would serve stale figures, so the caller must know.
        log.exception("data version of portal %s not bumped", target)
        raise
    log.debug("analytics data version bumped, portal %s", target)


def install_session_hooks() -> None:
    """Bump data versions after every commit that flushed program rows."""
    hooks = (
        ("after_flush", _remember_changed_portals),
        ("after_commit", _bump_changed_portals),
        ("do_orm_execute", _remember_bulk_statement),
    )
    for name, hook in hooks:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


def _remember_changed_portals(session: Session, flush_context: Any) -> None:
    # After a flush, `new`, `dirty` and `deleted` still list the flushed objects.
    changed = session.info.setdefault(SESSION_INFO_KEY, set())
    for instance in (*session.new, *session.dirty, *session.deleted):
        if getattr(instance, "__tablename__", None) in PROGRAM_TABLES:
            changed.add(getattr(instance, "portal_id", None))


def _remember_bulk_statement(state: Any) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    tables = {table.name for table in _statement_tables(state.statement)}
    if tables & PROGRAM_TABLES:
        session_changes = state.session.info.setdefault(SESSION_INFO_KEY, set())
        session_changes.add(None)


def _statement_tables(statement: Any) -> list[Any]:
    table = getattr(statement, "table", None)
    return [table] if table is not None else []


def _bump_changed_portals(session: Session) -> None:
    # Changes rolled back before this commit may still be listed; an extra bump
    # only costs one recomputation.
    changed = session.info.pop(SESSION_INFO_KEY, None)
    if not changed:
        return
    if not has_app_context():
        log.warning(
            "program data of portals %s committed outside an app context: "
            "figures stay cached until bump_data_version is called",
            sorted(changed, key=str),
        )
        return
    for portal_id in changed:
        bump_data_version(portal_id)
