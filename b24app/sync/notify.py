"""Queue the program's notifications about changes that came from the CRM.

Each notification is a job that takes ids, so the sync never waits for mail or
webhook work. The projection runs inside a transaction its caller commits, so
it records notifications with `notify_after_commit`, and a session hook queues
them once that transaction commits and drops them if it rolls back. A job that
cannot be queued is logged with its ids and never fails the sync.
"""

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from b24app.extensions import db
from b24app.jobs import enqueue

log = logging.getLogger(__name__)

APPLICATION_STAGE_MAIL = "application_stage_mail"
APPLICATION_STAGE_WEBHOOK = "application_stage_webhook"
INTERNSHIP_OPENED = "internship_opened"

# Job function and queue of each notification. Every job takes (portal_id, id).
# Paths instead of imports keep the mail and API parts out of the sync's imports.
JOBS = {
    APPLICATION_STAGE_MAIL: ("b24app.mail.student.notify_stage_change", "mail"),
    APPLICATION_STAGE_WEBHOOK: (
        "b24app.api.webhooks.notify.notify_application_stage_changed",
        "default",
    ),
    INTERNSHIP_OPENED: (
        "b24app.api.webhooks.notify.notify_internship_opened",
        "default",
    ),
}
RETRY_INTERVALS = [10, 60, 300]
SESSION_KEY = "b24app.sync.notifications"


def queue_notification(kind: str, portal_id: int, entity_id: int) -> bool:
    """Enqueue one notification job now; return False if it could not be queued."""
    path, queue = JOBS[kind]
    try:
        enqueue(
            path,
            portal_id,
            entity_id,
            queue=queue,
            timeout=120,
            retries=len(RETRY_INTERVALS),
            retry_intervals=RETRY_INTERVALS,
            portal_id=portal_id,
        )
    except Exception:
        # The CRM change is already stored; a lost notification must not undo
        # or repeat that, so the failure is logged for an operator instead.
        log.exception(
            "portal %s: %s notification for %s not queued", portal_id, kind, entity_id
        )
        return False
    return True


def queue_stage_changed(portal_id: int, application_id: int) -> None:
    """Queue the student's mail and the university webhook for a stage change."""
    queue_notification(APPLICATION_STAGE_MAIL, portal_id, application_id)
    queue_notification(APPLICATION_STAGE_WEBHOOK, portal_id, application_id)


def notify_after_commit(kind: str, portal_id: int, entity_id: int) -> None:
    """Queue a notification once the current transaction commits."""
    db.session.info.setdefault(SESSION_KEY, []).append((kind, portal_id, entity_id))


def install_notification_hooks() -> None:
    """Send recorded notifications on commit, drop them on rollback (idempotent)."""
    if not event.contains(Session, "after_commit", _queue_recorded):
        event.listen(Session, "after_commit", _queue_recorded)
    if not event.contains(Session, "after_soft_rollback", _drop_recorded):
        event.listen(Session, "after_soft_rollback", _drop_recorded)


def _queue_recorded(session: Session) -> None:
    recorded: list[tuple[str, int, int]] = session.info.pop(SESSION_KEY, [])
    # The same entity can be recorded twice in one transaction (a retried row).
    for kind, portal_id, entity_id in dict.fromkeys(recorded):
        queue_notification(kind, portal_id, entity_id)


def _drop_recorded(session: Session, previous: SessionTransaction) -> None:
    # A savepoint rollback (a retried upsert) keeps what the outer transaction
    # recorded; only the rollback of the outermost transaction drops it.
    if previous.parent is None:
        dropped: list[Any] = session.info.pop(SESSION_KEY, [])
        if dropped:
            log.debug("%d notifications dropped with a rollback", len(dropped))
