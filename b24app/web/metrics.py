"""The Prometheus scrape endpoint, which also refreshes the gauges read from state."""

import hmac
import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from b24app import metrics
from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db
from b24app.jobs import get_jobs
from b24app.ops.queues import queue_counts
from b24app.tenancy.models import Portal, PortalState

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

WAITING_STATUSES = (InboxStatus.PENDING, InboxStatus.QUEUED)


def authorized(expected_token: str | None) -> bool:
    """True when no token is configured, or the bearer token matches it."""
    if not expected_token:
        return True

    header = request.headers.get("Authorization", "")
    scheme, _, supplied = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(supplied.strip().encode(), expected_token.encode())


def refresh_queue_gauges() -> None:
    jobs = get_jobs()
    if jobs.redis is None:
        return
    try:
        counts = queue_counts(jobs.redis)
    except RedisError as error:
        log.warning("queue depth not refreshed: Redis failed with %s", error)
        return
    for count in counts:
        metrics.QUEUE_DEPTH.labels(count.name).set(count.waiting)
        metrics.QUEUE_FAILED.labels(count.name).set(count.failed)


def refresh_database_gauges() -> None:
    """Inbox age and counts, portals by state: three aggregate queries."""
    try:
        oldest = db.session.execute(
            sa.select(sa.func.min(EventInbox.received_at)).where(
                EventInbox.status.in_(WAITING_STATUSES)
            )
        ).scalar()
        inbox = db.session.execute(
            sa.select(EventInbox.status, sa.func.count()).group_by(EventInbox.status)
        ).all()
        portals = db.session.execute(
            sa.select(Portal.state, sa.func.count()).group_by(Portal.state)
        ).all()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.warning("inbox and portal gauges not refreshed: %s", type(error).__name__)
        return

    metrics.INBOX_OLDEST_AGE.set(age_seconds(oldest))
    inbox_counts = dict(inbox)
    for status in InboxStatus:
        metrics.INBOX_EVENTS.labels(status.value).set(inbox_counts.get(status, 0))
    portal_counts = dict(portals)
    for state in PortalState:
        metrics.PORTALS_BY_STATE.labels(state.value).set(portal_counts.get(state, 0))


def age_seconds(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - moment).total_seconds())


@bp.get("/metrics")
def scrape() -> Response:
    """Metrics in the Prometheus text format; bearer token when METRICS_TOKEN is set."""
    if not authorized(current_app.config.get("METRICS_TOKEN")):
        abort(401)

    refresh_queue_gauges()
    refresh_database_gauges()
    return Response(metrics.render_latest(), content_type=metrics.CONTENT_TYPE)
