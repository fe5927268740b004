"""Report pack jobs: on demand with progress, and on the schedules admins set.

`request_report` stores a ReportRun and enqueues `run_report` on the "reports"
queue. The job writes the XLSX under the instance folder
(`reports/<portal>/<run>-<university>.xlsx`) and, when asked, queues a CRM
timeline comment with the file on the university's company card.
"""

import base64
import calendar
import logging
import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from rq import get_current_job
from sqlalchemy import false, select

from b24app.analytics import labels
from b24app.analytics.filters import Filters
from b24app.analytics.models import (
    ReportRun,
    ReportSchedule,
    ReportStatus,
    ScheduleFrequency,
)
from b24app.analytics.report_pack import build_university_pack
from b24app.extensions import db
from b24app.jobs import enqueue
from b24app.ops.periodic import register_periodic
from b24app.program.models import CrmOutbox, OutboxKind, Term, University
from b24app.tenancy.models import utcnow

log = logging.getLogger(__name__)

REPORT_QUEUE = "reports"
REPORT_TIMEOUT_SECONDS = 15 * 60
SCHEDULE_CHECK_SECONDS = 300
# Bitrix24 receives attached files base64-encoded inside the JSON request.
MAX_CRM_ATTACHMENT_BYTES = 10 * 1024 * 1024
SCHEDULED_HOUR_UTC = 5


def register_jobs() -> None:
    register_periodic(
        "report-schedules",
        "b24app.analytics.report_jobs.check_due_schedules",
        SCHEDULE_CHECK_SECONDS,
        REPORT_QUEUE,
    )


def request_report(
    portal_id: int,
    university_id: int,
    filters: Filters | None = None,
    lang: str = labels.DEFAULT_LANGUAGE,
    user_id: int | None = None,
    attach_to_crm: bool = False,
    schedule_id: int | None = None,
) -> ReportRun:
    """Store a queued ReportRun, commit it, and enqueue the job that builds it."""
    run = ReportRun(
        portal_id=portal_id,
        university_id=university_id,
        schedule_id=schedule_id,
        requested_by_user_id=user_id,
        parameters={
            "filters": (filters or Filters()).to_dict(),
            "lang": labels.language(lang),
            "attach_to_crm": attach_to_crm,
        },
    )
    db.session.add(run)
    db.session.commit()

    run.job_id = enqueue(
        run_report,
        run.id,
        queue=REPORT_QUEUE,
        timeout=REPORT_TIMEOUT_SECONDS,
        portal_id=portal_id,
        result_ttl=24 * 3600,
    )
    db.session.commit()
    log.info(
        "report %s queued, portal %s, university %s", run.id, portal_id, university_id
    )
    return run


def run_report(run_id: int) -> str:
    """Build one report pack; returns the stored file's relative path."""
    run = db.session.get(ReportRun, run_id)
    if run is None:
        raise LookupError(f"report run {run_id} not found")
    if run.status == ReportStatus.SUCCEEDED:
        log.info("report %s already built, portal %s", run_id, run.portal_id)
        return run.file_path or ""

    run.status = ReportStatus.RUNNING
    db.session.commit()
    try:
        relative_path = _build_and_store(run)
    except Exception as error:
        db.session.rollback()
        run.status = ReportStatus.FAILED
        run.error = f"{type(error).__name__}: {error}"[:2000]
        run.finished_at = utcnow()
        db.session.commit()
        log.exception("report %s failed, portal %s", run_id, run.portal_id)
        raise

    log.info("report %s built, portal %s: %s", run_id, run.portal_id, relative_path)
    return relative_path


def _build_and_store(run: ReportRun) -> str:
    filters = Filters.from_mapping(run.parameters.get("filters"))
    lang = labels.language(run.parameters.get("lang"))
    content = build_university_pack(
        run.portal_id,
        run.university_id,
        filters,
        lang,
        lambda percent: _set_progress(run, percent),
    )

    university = db.session.get(University, run.university_id)
    name = f"{run.id}-{slug(university.name if university else '')}.xlsx"
    relative = Path("reports") / str(run.portal_id) / name
    path = Path(current_app.instance_path) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)

    run.file_path = str(relative)
    run.file_name = name
    run.file_size = len(content)
    run.status = ReportStatus.SUCCEEDED
    run.progress = 100
    run.finished_at = utcnow()
    if run.parameters.get("attach_to_crm") and university is not None:
        queue_timeline_comment(run, university, content, lang)
    db.session.commit()
    return str(relative)


def _set_progress(run: ReportRun, percent: int) -> None:
    run.progress = percent
    db.session.commit()
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = percent
        job.save_meta()


def queue_timeline_comment(
    run: ReportRun, university: University, content: bytes, lang: str
) -> CrmOutbox | None:
    """Add an outbox row that posts the pack to the university's company timeline.

    The payload is the `fields` of `crm.timeline.comment.add`, with the file as
    FILES: [[name, base64 content]].
    """
    if university.bitrix_id is None:
        log.warning(
            "report %s not attached: university %s has no CRM company, portal %s",
            run.id,
            university.id,
            run.portal_id,
        )
        return None
    if len(content) > MAX_CRM_ATTACHMENT_BYTES:
        log.warning(
            "report %s not attached: %s bytes is over the %s byte limit, portal %s",
            run.id,
            len(content),
            MAX_CRM_ATTACHMENT_BYTES,
            run.portal_id,
        )
        return None

    comment = f"{labels.title('summary', lang)}: {university.name}"
    outbox = CrmOutbox(
        portal_id=run.portal_id,
        kind=OutboxKind.ADD_TIMELINE_COMMENT,
        entity_type="university",
        entity_id=university.id,
        payload={
            "fields": {
                "ENTITY_TYPE": "company",
                "ENTITY_ID": university.bitrix_id,
                "COMMENT": comment,
                "FILES": [[run.file_name, base64.b64encode(content).decode("ascii")]],
            },
            "report_run_id": run.id,
        },
    )
    db.session.add(outbox)
    return outbox


def report_file(run: ReportRun) -> Path | None:
    """Return the absolute path of a finished run's file, or None without one."""
    if run.status != ReportStatus.SUCCEEDED or not run.file_path:
        return None
    path = Path(current_app.instance_path) / run.file_path
    return path if path.is_file() else None


def check_due_schedules(now: datetime | None = None) -> int:
    """Queue the report packs of every due schedule; returns how many were queued."""
    now = now or utcnow()
    due = db.session.execute(
        select(ReportSchedule)
        .where(ReportSchedule.active.is_(True), ReportSchedule.next_run_at <= now)
        .order_by(ReportSchedule.next_run_at)
        .with_for_update(skip_locked=True)
    ).scalars()

    queued = 0
    for schedule in list(due):
        for university_id in _schedule_universities(schedule):
            filters = Filters(term_id=schedule.term_id)
            request_report(
                schedule.portal_id,
                university_id,
                filters,
                schedule.lang,
                attach_to_crm=schedule.attach_to_crm,
                schedule_id=schedule.id,
            )
            queued += 1
        advance_schedule(schedule, now)
        db.session.commit()
    return queued


def _schedule_universities(schedule: ReportSchedule) -> list[int]:
    if schedule.university_id is not None:
        return [schedule.university_id]
    statement = select(University.id).where(
        University.portal_id == schedule.portal_id, University.deleted.is_(false())
    )
    return list(db.session.execute(statement.order_by(University.id)).scalars())


def create_schedule(
    portal_id: int,
    frequency: str,
    university_id: int | None = None,
    term_id: int | None = None,
    lang: str = labels.DEFAULT_LANGUAGE,
    attach_to_crm: bool = False,
    user_id: int | None = None,
) -> ReportSchedule:
    """Store a schedule whose first run is the next one after now.

    Raises ValueError for an unknown frequency, or an end-of-term schedule
    without a term of this portal that has an end date.
    """
    term = None
    if term_id is not None:
        term = db.session.execute(
            select(Term).where(Term.portal_id == portal_id, Term.id == term_id)
        ).scalar_one_or_none()
        if term is None:
            raise ValueError(f"term {term_id} not found in portal {portal_id}")

    schedule = ReportSchedule(
        portal_id=portal_id,
        university_id=university_id,
        term_id=term_id,
        frequency=frequency,
        lang=labels.language(lang),
        attach_to_crm=attach_to_crm,
        created_by_user_id=user_id,
        next_run_at=next_run_at(frequency, utcnow(), term),
    )
    db.session.add(schedule)
    db.session.commit()
    log.info(
        "report schedule %s (%s) created, portal %s", schedule.id, frequency, portal_id
    )
    return schedule


def advance_schedule(schedule: ReportSchedule, now: datetime) -> None:
    """Set the next run after `now`; an end-of-term schedule runs once."""
    schedule.last_run_at = now
    if schedule.frequency == ScheduleFrequency.END_OF_TERM:
        schedule.active = False
        return
    schedule.next_run_at = next_run_at(schedule.frequency, now)


def next_run_at(frequency: str, after: datetime, term: Term | None = None) -> datetime:
    """When a schedule of `frequency` next runs after `after` (05:00 UTC)."""
    if frequency == ScheduleFrequency.WEEKLY:
        return _at_hour(after.date() + timedelta(days=7))
    if frequency == ScheduleFrequency.MONTHLY:
        year, month = (
            (after.year + 1, 1)
            if after.month == 12
            else (
                after.year,
                after.month + 1,
            )
        )
        day = min(after.day, calendar.monthrange(year, month)[1])
        return _at_hour(after.replace(year=year, month=month, day=day).date())
    if frequency == ScheduleFrequency.END_OF_TERM:
        if term is None or term.ends_on is None:
            raise ValueError("an end-of-term schedule needs a term with an end date")
        return _at_hour(term.ends_on + timedelta(days=1))
    raise ValueError(
        f"invalid report frequency {frequency!r}: use weekly, monthly or end_of_term"
    )


def _at_hour(day: Any) -> datetime:
    return datetime.combine(day, time(SCHEDULED_HOUR_UTC), tzinfo=UTC)


def slug(text: str) -> str:
    """Make `text` safe as a file name (Cyrillic kept), at most 60 characters."""
    cleaned = re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-.")
    return cleaned[:60] or "report"
