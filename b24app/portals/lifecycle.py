"""ONAPPUPDATE and ONAPPUNINSTALL: what happens to a portal after install.

The event intake calls these only after it found the portal and, for uninstall,
after the application token matched. Uninstall forgets the OAuth tokens at once,
cancels the portal's queued jobs, and deletes its data when the admin chose to
(`data[CLEAN]=1`).
"""

import logging
from collections.abc import Mapping
from typing import Any

from redis.exceptions import RedisError
from rq.job import Job
from sqlalchemy import delete, update

from b24app.bitrix import TokenPair
from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db
from b24app.jobs import QUEUE_NAMES, enqueue, get_jobs
from b24app.portals.install import expiry, store_application_token
from b24app.portals.pairs import pair_to_store
from b24app.portals.verify import VerifiedPortal
from b24app.tenancy.models import Portal, PortalState, utcnow
from b24app.tenancy.store import token_cipher, write_tokens

log = logging.getLogger(__name__)


def apply_update(
    portal: Portal, payload: Mapping[str, Any], verified: VerifiedPortal | None
) -> None:
    """Store the version of ONAPPUPDATE and queue a re-bind.

    `verified` is set when app.info confirmed the event's access token and
    `user.admin` its user: only then may the event's tokens and a re-issued
    application token replace the stored ones. Without it the caller has
    matched the stored application token, and only the version is taken.
    """
    auth = payload.get("auth") if isinstance(payload.get("auth"), Mapping) else {}
    data = payload.get("data") if isinstance(payload.get("data"), Mapping) else {}
    if verified is not None:
        store_update_tokens(portal, auth, verified)
    version = data.get("VERSION")
    if isinstance(version, str) and version:
        portal.app_version = version[:32]
    db.session.commit()

    log.info(
        "portal %s updated to version %s; re-binding queued",
        portal.id,
        portal.app_version,
    )
    queue_setup(portal)


def store_update_tokens(
    portal: Portal, auth: Mapping[str, Any], verified: VerifiedPortal
) -> None:
    """Write the confirmed event's token pair and application token."""
    access_token = auth.get("access_token")
    refresh_token = auth.get("refresh_token")
    if isinstance(access_token, str) and isinstance(refresh_token, str):
        pair = TokenPair(access_token, refresh_token, expiry(auth.get("expires_in")))
        new_pair = pair_to_store(portal, pair, verified) if refresh_token else None
        if new_pair is not None:
            write_tokens(portal, new_pair, token_cipher())

    token = auth.get("application_token")
    if isinstance(token, str):
        store_application_token(portal, token, replace_active=True)


def queue_setup(portal: Portal) -> None:
    """Enqueue the re-bind job; a Redis outage is logged and left to the next update."""
    try:
        enqueue(
            "b24app.portals.install.setup_portal",
            portal.id,
            queue="default",
            timeout=300,
            retries=3,
            portal_id=portal.id,
        )
    except RedisError as error:
        log.error("portal %s: re-bind not queued: %s", portal.id, error)


def uninstall(portal: Portal, clean: bool) -> None:
    """Mark `portal` uninstalled, forget its tokens, cancel its jobs, maybe clean."""
    portal.state = PortalState.UNINSTALLED
    portal.state_reason = "uninstalled in Bitrix24"
    portal.uninstalled_at = utcnow()
    portal.forget_tokens()
    db.session.execute(
        update(EventInbox)
        .where(
            EventInbox.portal_id == portal.id,
            EventInbox.status.in_([InboxStatus.PENDING, InboxStatus.QUEUED]),
        )
        .values(status=InboxStatus.FAILED, error="portal uninstalled")
    )
    db.session.commit()

    cancelled = cancel_portal_jobs(portal.id)
    if clean:
        delete_portal_data(portal.id)
    log.info(
        "portal %s uninstalled (clean=%s), %d queued jobs cancelled",
        portal.id,
        clean,
        cancelled,
    )


def cancel_portal_jobs(portal_id: int) -> int:
    """Cancel every queued RQ job stamped with `portal_id`; return how many.

    NOTE: without Redis, jobs already handed to the in-process worker still run;
    they find the portal uninstalled and stop.
    """
    jobs = get_jobs()
    if jobs.redis is None:
        return 0

    cancelled = 0
    try:
        for name in QUEUE_NAMES:
            queue = jobs.queue(name)
            for job in queue.get_jobs():
                if _job_portal(job) == portal_id:
                    job.cancel()
                    cancelled += 1
    except RedisError as error:
        log.error("portal %s: queued jobs not cancelled: %s", portal_id, error)
    return cancelled


def _job_portal(job: Job | None) -> int | None:
    if job is None:
        return None
    return (job.meta or {}).get("portal_id")


def delete_portal_data(portal_id: int) -> None:
    """Delete every row of every portal-scoped table for `portal_id`.

    The portal row itself stays, uninstalled and without tokens, so a later
    event for it is recognised and rejected.
    """
    for table in reversed(db.metadata.sorted_tables):
        if table.name == Portal.__tablename__ or "portal_id" not in table.c:
            continue
        db.session.execute(delete(table).where(table.c.portal_id == portal_id))
    db.session.commit()
    log.info("portal %s: all portal data deleted", portal_id)
