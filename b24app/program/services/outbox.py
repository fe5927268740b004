"""The CRM outbox: write intents queued in the routing transaction, sent by jobs."""

import logging

from b24app.extensions import db
from b24app.program.models import CrmOutbox, OutboxStatus
from b24app.tenancy.models import utcnow
from b24app.tenancy.scoping import scoped

log = logging.getLogger(__name__)


def add_outbox(
    portal_id: int, kind: str, entity_type: str, entity_id: int, payload: dict
) -> CrmOutbox:
    """Queue one CRM write in the current transaction (no commit)."""
    row = CrmOutbox(
        portal_id=portal_id,
        kind=kind,
        entity_type=entity_type,
        entity_id=entity_id,
        payload=payload,
    )
    db.session.add(row)
    return row


def claim_pending(portal_id: int, limit: int = 50) -> list[CrmOutbox]:
    """Lock up to `limit` pending rows, oldest first, skipping rows others hold.

    The caller delivers them, marks each sent or failed, and commits.
    """
    statement = (
        scoped(CrmOutbox, portal_id)
        .where(CrmOutbox.status == OutboxStatus.PENDING)
        .order_by(CrmOutbox.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(db.session.execute(statement).scalars())


def mark_sent(row: CrmOutbox) -> None:
    row.status = OutboxStatus.SENT
    row.attempts += 1
    row.sent_at = utcnow()


def mark_failed(row: CrmOutbox, error: str, max_attempts: int = 5) -> None:
    """Count a failed delivery; the row stays pending until `max_attempts`."""
    row.attempts += 1
    row.last_error = error[:2000]
    if row.attempts >= max_attempts:
        row.status = OutboxStatus.FAILED
        log.warning(
            "portal %s: outbox row %s (%s) failed %s times, giving up",
            row.portal_id,
            row.id,
            row.kind,
            row.attempts,
        )
