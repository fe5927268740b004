"""Whether a portal's rollups are built, and the lock that keeps them exact.

The rollups equal a portal's summaries once a rebuild has computed them
(`summary.rebuild_summaries`), or from the start for a portal created after
the rollup tables, which has nothing to count yet. A `RollupState` row marks
such a portal, and the dashboard reads the rollups of marked portals only.

On PostgreSQL, the incremental writes and the rebuilds of one portal are
serialised by a transaction-level advisory lock. Every refresh takes it
shared, so writers still run side by side; a rebuild takes it exclusively.
A write that starts during a rebuild waits for the rebuild's commit and then
changes the rebuilt rows. A rebuild waits for the writes under way and then
reads what they committed. So no change is lost or counted twice. SQLite lets
one transaction write at a time, so it needs no lock.
"""

import logging
from typing import Any

from sqlalchemy import Connection, Integer, cast, event, exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from b24app.analytics.rollup_models import RollupState
from b24app.extensions import db
from b24app.tenancy.models import Portal, utcnow

log = logging.getLogger(__name__)

# First key of the advisory lock ("roll" in ASCII). The second is the portal id.
LOCK_CLASS = 0x726F6C6C


def is_built(portal_id: int) -> bool:
    """Return whether the portal's rollups equal its summaries."""
    statement = select(exists().where(RollupState.portal_id == portal_id))
    return db.session.execute(statement).scalar_one()


def mark_built(connection: Connection, portal_id: int) -> None:
    """Record in the current transaction that the portal's rollups are built."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(RollupState).values(
        portal_id=portal_id, built_at=utcnow()
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["portal_id"],
            set_={"built_at": statement.excluded.built_at},
        )
    )


def lock_for_write(connection: Connection, portal_id: int) -> None:
    """Wait for a running rebuild of the portal, then block new ones until commit."""
    # NOTE: a new shared request waits behind a queued rebuild even while other
    # writers hold the lock. When that closes a wait cycle, PostgreSQL's
    # deadlock check reorders the queue or aborts one transaction (untested).
    _advisory_lock(connection, "pg_advisory_xact_lock_shared", portal_id)


def lock_for_rebuild(connection: Connection, portal_id: int) -> None:
    """Wait for the portal's writes under way, then block new ones until commit."""
    _advisory_lock(connection, "pg_advisory_xact_lock", portal_id)


def _advisory_lock(connection: Connection, name: str, portal_id: int) -> None:
    if connection.dialect.name != "postgresql":
        return
    # Both keys as int4, the types of the two-key form of the lock functions.
    keys = (cast(literal(LOCK_CLASS), Integer), cast(literal(portal_id), Integer))
    connection.execute(select(getattr(func, name)(*keys)))


def install_portal_hook() -> None:
    """Mark each new portal's rollups built: a portal starts with nothing to count."""
    if not event.contains(Portal, "after_insert", _mark_new_portal):
        event.listen(Portal, "after_insert", _mark_new_portal)


def _mark_new_portal(mapper: Any, connection: Connection, portal: Portal) -> None:
    mark_built(connection, portal.id)
    log.debug("portal %s: created with its rollups built", portal.id)
