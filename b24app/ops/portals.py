"""Portal operations: state summaries, suspend and resume, purge of portal data."""

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from b24app import metrics
from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db
from b24app.tenancy.models import Portal, PortalState, utcnow

log = logging.getLogger(__name__)


class PortalOperationError(ValueError):
    """The requested change does not apply to the portal in its current state."""


@dataclass
class PortalSummary:
    portal: Portal
    inbox_by_status: dict[str, int]
    oldest_waiting: datetime | None
    recent_failures: list[EventInbox]


def find_portal(reference: str) -> Portal | None:
    """Find a portal by numeric id, member_id or domain."""
    if reference.isdigit():
        portal = db.session.get(Portal, int(reference))
        if portal is not None:
            return portal
    statement = sa.select(Portal).where(
        sa.or_(Portal.member_id == reference, Portal.domain == reference)
    )
    return db.session.execute(statement).scalars().first()


def list_portals() -> list[tuple[Portal, int]]:
    """List every portal with its count of inbox events still waiting."""
    waiting = (
        sa.select(EventInbox.portal_id, sa.func.count().label("waiting"))
        .where(EventInbox.status.in_([InboxStatus.PENDING, InboxStatus.QUEUED]))
        .group_by(EventInbox.portal_id)
        .subquery()
    )
    statement = (
        sa.select(Portal, sa.func.coalesce(waiting.c.waiting, 0))
        .outerjoin(waiting, waiting.c.portal_id == Portal.id)
        .order_by(Portal.id)
    )
    return [(portal, count) for portal, count in db.session.execute(statement).all()]


def summarize_portal(portal: Portal, failures: int = 5) -> PortalSummary:
    counts = db.session.execute(
        sa.select(EventInbox.status, sa.func.count())
        .where(EventInbox.portal_id == portal.id)
        .group_by(EventInbox.status)
    ).all()
    oldest = db.session.execute(
        sa.select(sa.func.min(EventInbox.received_at)).where(
            EventInbox.portal_id == portal.id,
            EventInbox.status.in_([InboxStatus.PENDING, InboxStatus.QUEUED]),
        )
    ).scalar()
    recent_failures = db.session.execute(
        sa.select(EventInbox)
        .where(
            EventInbox.portal_id == portal.id,
            EventInbox.status == InboxStatus.FAILED,
        )
        .order_by(EventInbox.received_at.desc())
        .limit(failures)
    ).scalars()
    return PortalSummary(portal, dict(counts), oldest, list(recent_failures))


def suspend_portal(portal: Portal, reason: str) -> None:
    """Mark a portal suspended; code that checks `Portal.is_active` skips it."""
    if portal.state == PortalState.UNINSTALLED:
        raise PortalOperationError(f"portal {portal.id} is uninstalled")

    portal.state = PortalState.SUSPENDED
    portal.state_reason = reason[:200]
    db.session.commit()
    log.info("portal %s suspended: %s", portal.id, portal.state_reason)


def resume_portal(portal: Portal) -> None:
    if portal.state != PortalState.SUSPENDED:
        raise PortalOperationError(
            f"portal {portal.id} is {portal.state}, not suspended"
        )

    portal.state = PortalState.ACTIVE
    portal.state_reason = ""
    db.session.commit()
    log.info("portal %s resumed", portal.id)


def portal_owned_tables() -> list[sa.Table]:
    """Tables with a portal_id column, children before parents."""
    tables = reversed(db.metadata.sorted_tables)
    return [t for t in tables if "portal_id" in t.c and t.name != Portal.__tablename__]


def purge_portal(portal: Portal) -> dict[str, int]:
    """Delete every row the portal owns and its tokens; keep the portal row.

    The row stays, marked uninstalled, so a reinstall or a late event from the
    portal is recognised. Returns the deleted row count per table.
    """
    deleted = {}
    for table in portal_owned_tables():
        result = db.session.execute(
            sa.delete(table).where(table.c.portal_id == portal.id)
        )
        if result.rowcount:
            deleted[table.name] = result.rowcount

    portal.forget_tokens()
    portal.application_token_digest = None
    portal.state = PortalState.UNINSTALLED
    portal.state_reason = "purged by an operator"
    portal.uninstalled_at = portal.uninstalled_at or utcnow()
    db.session.commit()

    metrics.forget_portal(portal.id)
    log.info("portal %s purged: %s", portal.id, deleted)
    return deleted
