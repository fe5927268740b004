"""Sync status of a portal for the settings page and `b24app sync status`."""

import logging
from typing import Any

from redis.exceptions import RedisError
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db
from b24app.jobs import get_jobs
from b24app.program.models import CrmOutbox, OutboxStatus
from b24app.sync.fullsync import progress
from b24app.sync.models import CrmRecord, SyncRun, SyncState
from b24app.tenancy.models import utcnow
from b24app.tenancy.scoping import scoped

log = logging.getLogger(__name__)

SYNC_QUEUES = ("events", "sync", "crm")
FAILED_SHOWN = 20


def sync_status(portal_id: int) -> dict[str, Any]:
    """Last full sync, last event, lag, backlog and failures with their reasons."""
    state = db.session.execute(scoped(SyncState, portal_id)).scalar_one_or_none()
    last_run = db.session.execute(
        scoped(SyncRun, portal_id)
        .where(SyncRun.kind == "full")
        .order_by(SyncRun.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    oldest_pending = db.session.execute(
        select(func.min(EventInbox.received_at)).where(
            EventInbox.portal_id == portal_id,
            EventInbox.status.in_((InboxStatus.PENDING, InboxStatus.QUEUED)),
        )
    ).scalar_one_or_none()

    backlog_age = (utcnow() - oldest_pending).total_seconds() if oldest_pending else 0.0
    return {
        "portal_id": portal_id,
        "last_full_sync_at": _iso(state.last_full_sync_at if state else None),
        "last_event_at": _iso(state.last_event_at if state else None),
        "last_delta_at": _iso(state.last_delta_at if state else None),
        "offline_events": state.offline_events if state else "unknown",
        # Lag: the age of the oldest unapplied event, else the last measured one.
        "lag_seconds": round(backlog_age, 1)
        if oldest_pending
        else (state.last_lag_seconds if state else None),
        "inbox_backlog": _inbox_backlog(portal_id),
        "outbox": _outbox_counts(portal_id),
        "mirror": _mirror_counts(portal_id),
        "last_run": progress(last_run) if last_run else None,
        "last_error": state.last_error if state else "",
        "last_error_at": _iso(state.last_error_at if state else None),
        "failed_jobs": failed_jobs(portal_id)[:FAILED_SHOWN],
    }


def failed_jobs(portal_id: int | None = None) -> list[dict[str, Any]]:
    """Failed sync, event and CRM-write jobs, newest first, with the error line."""
    jobs = get_jobs()
    if jobs.redis is None:
        return []
    found = []
    try:
        for name in SYNC_QUEUES:
            registry = FailedJobRegistry(name, connection=jobs.redis)
            for job in Job.fetch_many(registry.get_job_ids(), connection=jobs.redis):
                if job is None:
                    continue
                job_portal = (job.meta or {}).get("portal_id")
                if portal_id is not None and job_portal != portal_id:
                    continue
                found.append(_describe(name, job, job_portal))
    except RedisError as error:
        log.warning("failed jobs not listed: Redis is unavailable: %s", error)
        return []
    return sorted(found, key=lambda item: item["ended_at"] or "", reverse=True)


def retry_failed(portal_id: int | None = None) -> int:
    """Put failed sync, event and CRM-write jobs back on their queues."""
    jobs = get_jobs()
    if jobs.redis is None:
        return 0
    retried = 0
    for item in failed_jobs(portal_id):
        registry = FailedJobRegistry(item["queue"], connection=jobs.redis)
        registry.requeue(item["job_id"])
        retried += 1
    log.info("requeued %d failed sync jobs (portal %s)", retried, portal_id or "all")
    return retried


def _describe(queue: str, job: Job, portal_id: Any) -> dict[str, Any]:
    exc_info = job.latest_result().exc_string if job.latest_result() else ""
    lines = [line for line in (exc_info or "").strip().splitlines() if line.strip()]
    return {
        "queue": queue,
        "job_id": job.id,
        "portal_id": portal_id,
        "function": job.description,
        "ended_at": _iso(job.ended_at),
        "reason": lines[-1][:300] if lines else "",
    }


def _inbox_backlog(portal_id: int) -> int:
    return db.session.execute(
        select(func.count()).where(
            EventInbox.portal_id == portal_id,
            EventInbox.status.in_((InboxStatus.PENDING, InboxStatus.QUEUED)),
        )
    ).scalar_one()


def _outbox_counts(portal_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(CrmOutbox.status, func.count())
        .where(CrmOutbox.portal_id == portal_id)
        .group_by(CrmOutbox.status)
    )
    counts = {status: 0 for status in (*OutboxStatus, "sending")}
    counts.update({status: count for status, count in rows})
    return counts


def _mirror_counts(portal_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(CrmRecord.kind, func.count())
        .where(CrmRecord.portal_id == portal_id, CrmRecord.deleted_at.is_(None))
        .group_by(CrmRecord.kind)
    )
    counts = {kind or "ignored": count for kind, count in rows}
    counts["waiting"] = db.session.execute(
        select(func.count()).where(
            CrmRecord.portal_id == portal_id,
            CrmRecord.pending != "",
            CrmRecord.deleted_at.is_(None),
        )
    ).scalar_one()
    return counts


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None
