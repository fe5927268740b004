"""Writing accepted events to the inbox and handing them to the job queue."""

import logging

from redis.exceptions import RedisError
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from b24app.events.intake import (
    EventDelivery,
    dedupe_key,
    entity_of,
    event_time,
    stored_payload,
)
from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db
from b24app.jobs import enqueue
from b24app.tenancy.models import Portal, utcnow

log = logging.getLogger(__name__)

EVENTS_QUEUE = "events"
PROCESS_FUNCTION = "b24app.events.processing.process_inbox"


def store_event(portal: Portal, delivery: EventDelivery) -> EventInbox | None:
    """Insert the delivery and commit; return None when it is a duplicate."""
    entity_type, entity_id = entity_of(delivery.event, delivery.data)
    row = EventInbox(
        portal_id=portal.id,
        event=delivery.event,
        entity_type=entity_type,
        entity_id=entity_id,
        handler_id=str(delivery.payload.get("event_handler_id") or "")[:32],
        ts=event_time(delivery.payload),
        dedupe_key=dedupe_key(delivery, entity_id),
        payload=stored_payload(delivery.payload),
        status=InboxStatus.PENDING,
        received_at=utcnow(),
    )

    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        db.session.rollback()
        log.info(
            "portal %s: duplicate %s for %s %s ignored",
            portal.id,
            delivery.event,
            entity_type or "-",
            entity_id or "-",
        )
        return None

    db.session.commit()
    return row


def enqueue_inbox(portal_id: int, inbox_ids: list[int]) -> str | None:
    """Queue `process_inbox` for the rows and mark them queued; return the job id.

    When Redis is unreachable the rows stay pending for `sweep_inbox`, so no
    accepted event is lost.
    """
    try:
        job_id = enqueue(
            PROCESS_FUNCTION,
            portal_id,
            list(inbox_ids),
            queue=EVENTS_QUEUE,
            timeout=120,
            retries=3,
            retry_intervals=[10, 60, 300],
            portal_id=portal_id,
        )
    except RedisError as error:
        log.warning(
            "portal %s: %d inbox rows left pending, queue unavailable: %s",
            portal_id,
            len(inbox_ids),
            type(error).__name__,
        )
        return None

    # Only rows still pending move to queued: a fast worker may already have
    # marked them processing or done.
    db.session.execute(
        update(EventInbox)
        .where(
            EventInbox.portal_id == portal_id,
            EventInbox.id.in_(inbox_ids),
            EventInbox.status == InboxStatus.PENDING,
        )
        .values(status=InboxStatus.QUEUED, job_id=job_id, queued_at=utcnow())
    )
    db.session.commit()
    return job_id
