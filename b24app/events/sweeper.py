"""Re-enqueue inbox rows that no job is going to process.

Rows stay pending when Redis was down while their request ran, and stay queued
when their job was lost (Redis flushed, a worker killed). Run `b24app events
sweep` every minute or so from cron or a scheduler.
"""

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import and_, or_, select

from b24app.events.inbox import enqueue_inbox
from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db
from b24app.tenancy.models import Portal, PortalState, utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 100


def sweep_inbox(
    min_age: dt.timedelta = dt.timedelta(seconds=30),
    stale_after: dt.timedelta = dt.timedelta(minutes=15),
    limit: int = 5000,
) -> int:
    """Enqueue pending rows older than `min_age` and queued rows older than
    `stale_after`, for active portals; return how many rows were enqueued.

    `min_age` leaves the request that stored a row time to enqueue it itself.
    """
    now = utcnow()
    statement = (
        select(EventInbox.portal_id, EventInbox.id)
        .join(Portal, Portal.id == EventInbox.portal_id)
        .where(Portal.state == PortalState.ACTIVE)
        .where(
            or_(
                and_(
                    EventInbox.status == InboxStatus.PENDING,
                    EventInbox.received_at <= now - min_age,
                ),
                and_(
                    EventInbox.status == InboxStatus.QUEUED,
                    EventInbox.queued_at <= now - stale_after,
                ),
            )
        )
        .order_by(EventInbox.id)
        .limit(limit)
    )
    by_portal: dict[int, list[int]] = defaultdict(list)
    for portal_id, inbox_id in db.session.execute(statement):
        by_portal[portal_id].append(inbox_id)

    enqueued = 0
    for portal_id, ids in by_portal.items():
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start : start + BATCH_SIZE]
            requeue_stale(portal_id, chunk)
            if enqueue_inbox(portal_id, chunk) is not None:
                enqueued += len(chunk)

    if enqueued:
        log.info(
            "sweeper enqueued %d inbox rows of %d portals", enqueued, len(by_portal)
        )
    return enqueued


def requeue_stale(portal_id: int, inbox_ids: list[int]) -> None:
    """Put stale queued rows back to pending so `enqueue_inbox` picks them up."""
    db.session.execute(
        EventInbox.__table__.update()
        .where(
            EventInbox.portal_id == portal_id,
            EventInbox.id.in_(inbox_ids),
            EventInbox.status == InboxStatus.QUEUED,
        )
        .values(status=InboxStatus.PENDING)
    )
    db.session.commit()
