"""The per-portal SyncState row: created on first use, updated by every sync path."""

import logging
import statistics
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from b24app import metrics
from b24app.extensions import db
from b24app.sync.models import SyncState
from b24app.tenancy.models import utcnow
from b24app.tenancy.scoping import scoped

log = logging.getLogger(__name__)


def sync_state(portal_id: int) -> SyncState:
    """Return the portal's SyncState, creating it (race-safe) when missing."""
    state = db.session.execute(scoped(SyncState, portal_id)).scalar_one_or_none()
    if state is not None:
        return state
    try:
        with db.session.begin_nested():
            state = SyncState(portal_id=portal_id, high_water={})
            db.session.add(state)
    except IntegrityError:
        state = db.session.execute(scoped(SyncState, portal_id)).scalar_one()
    return state


def note_applied(
    portal_id: int, lags: list[float], newest_event: datetime | None = None
) -> None:
    """Record that events were applied, with their event-to-mirror lags in seconds."""
    if not lags:
        return
    state = sync_state(portal_id)
    state.last_applied_at = utcnow()
    state.last_lag_seconds = round(statistics.median(lags), 3)
    if newest_event is not None:
        state.last_event_at = max(state.last_event_at or newest_event, newest_event)
    state.failures = 0
    metrics.set_sync_lag(portal_id, max(lags))


def note_failure(portal_id: int, reason: str) -> None:
    """Store the latest failure of a sync path, in its own transaction."""
    try:
        state = sync_state(portal_id)
        state.last_error = reason[:1000]
        state.last_error_at = utcnow()
        state.failures += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.warning(
            "portal %s: could not record sync failure", portal_id, exc_info=True
        )
