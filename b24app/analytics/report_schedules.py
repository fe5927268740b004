"""Report schedules: when report packs are built, and for which universities.

An admin sets a schedule per portal for one university or all of them. The
periodic `check_due_schedules` job queues a batch of runs for every schedule
that is due: one run per university and file format. "Run now" queues the
same batch at once without moving the next scheduled run.
"""

import calendar
import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import false, select

from b24app.analytics import labels
from b24app.analytics.filters import Filters
from b24app.analytics.models import (
    SCHEDULE_FORMATS,
    ReportRun,
    ReportSchedule,
    ScheduleFrequency,
)
from b24app.analytics.report_jobs import request_report
from b24app.extensions import db
from b24app.program.models import Term, University
from b24app.tenancy.models import utcnow
from b24app.tenancy.scoping import get_scoped, scoped

log = logging.getLogger(__name__)

SCHEDULED_HOUR_UTC = 5


class ScheduleError(ValueError):
    """Invalid schedule input: the message names the value and what to use."""


class ScheduleNotFound(LookupError):
    """The schedule is not in this portal."""


def check_due_schedules(now: datetime | None = None) -> int:
    """Queue the report packs of every due schedule and return how many were queued."""
    now = now or utcnow()
    due = db.session.execute(
        select(ReportSchedule)
        .where(ReportSchedule.active.is_(True), ReportSchedule.next_run_at <= now)
        .order_by(ReportSchedule.next_run_at)
        .with_for_update(skip_locked=True)
    ).scalars()

    queued = 0
    for schedule in list(due):
        queued += len(queue_batch(schedule))
        advance_schedule(schedule, now)
        db.session.commit()
    return queued


def queue_batch(
    schedule: ReportSchedule, user_id: int | None = None
) -> list[ReportRun]:
    """Queue one run per university and file format of `schedule`.

    The previous batch's error is cleared first, so `last_error` always
    belongs to the latest batch.
    """
    # NOTE: each run is committed before it is enqueued, so a Redis outage in
    # the middle of a batch leaves the remaining rows "queued" with no job.
    schedule.last_error = ""
    db.session.commit()

    runs = []
    for university_id in _schedule_universities(schedule):
        for file_format in schedule.formats():
            runs.append(
                request_report(
                    schedule.portal_id,
                    university_id,
                    Filters(term_id=schedule.term_id),
                    schedule.lang,
                    user_id=user_id,
                    attach_to_crm=schedule.attach_to_crm,
                    schedule_id=schedule.id,
                    file_format=file_format,
                )
            )
    log.info(
        "report schedule %s queued %s runs, portal %s",
        schedule.id,
        len(runs),
        schedule.portal_id,
    )
    return runs


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
    file_format: str = "xlsx",
) -> ReportSchedule:
    """Store a schedule whose first run is the next one after now.

    Raises ScheduleError for an unknown frequency or file format, a university
    or term outside the portal, or an end-of-term schedule without a term that
    has an end date.
    """
    if file_format not in SCHEDULE_FORMATS:
        raise ScheduleError(
            f"invalid report format {file_format!r}: use xlsx, pdf or both"
        )
    if university_id is not None:
        university = get_scoped(University, portal_id, id=university_id)
        if university is None or university.deleted:
            raise ScheduleError(f"university {university_id} not found in this portal")
    term = None
    if term_id is not None:
        term = get_scoped(Term, portal_id, id=term_id)
        if term is None:
            raise ScheduleError(f"term {term_id} not found in portal {portal_id}")

    schedule = ReportSchedule(
        portal_id=portal_id,
        university_id=university_id,
        term_id=term_id,
        frequency=frequency,
        lang=labels.language(lang),
        file_format=file_format,
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


def list_schedules(portal_id: int) -> list[tuple[ReportSchedule, str | None]]:
    """Return the portal's schedules, oldest first, each with its university name."""
    statement = (
        scoped(ReportSchedule, portal_id)
        .add_columns(University.name)
        .outerjoin(University, University.id == ReportSchedule.university_id)
        .order_by(ReportSchedule.id)
    )
    return [(row[0], row[1]) for row in db.session.execute(statement)]


def get_schedule(portal_id: int, schedule_id: int) -> ReportSchedule:
    """Return a schedule of the portal; raises ScheduleNotFound otherwise."""
    schedule = get_scoped(ReportSchedule, portal_id, id=schedule_id)
    if schedule is None:
        raise ScheduleNotFound(
            f"report schedule {schedule_id} not found in portal {portal_id}"
        )
    return schedule


def pause_schedule(portal_id: int, schedule_id: int) -> ReportSchedule:
    """Stop a schedule from running until it is resumed."""
    schedule = get_schedule(portal_id, schedule_id)
    schedule.active = False
    db.session.commit()
    return schedule


def resume_schedule(portal_id: int, schedule_id: int) -> ReportSchedule:
    """Let a paused schedule run again, from its next date after now.

    Raises ScheduleError for an end-of-term schedule that has already run,
    because its only date has passed.
    """
    schedule = get_schedule(portal_id, schedule_id)
    if schedule.has_finished:
        raise ScheduleError(
            f"report schedule {schedule_id} ran at the end of its term already: "
            "create a new schedule for another term"
        )

    now = utcnow()
    if schedule.next_run_at <= now:
        term = None
        if schedule.term_id is not None:
            term = get_scoped(Term, portal_id, id=schedule.term_id)
        schedule.next_run_at = next_run_at(schedule.frequency, now, term)
    schedule.active = True
    db.session.commit()
    return schedule


def delete_schedule(portal_id: int, schedule_id: int) -> None:
    """Delete a schedule; its runs and files stay, without the schedule link."""
    schedule = get_schedule(portal_id, schedule_id)
    db.session.delete(schedule)
    db.session.commit()


def run_schedule_now(
    portal_id: int, schedule_id: int, user_id: int | None = None
) -> list[ReportRun]:
    """Queue the schedule's batch now; the next scheduled run stays as it was."""
    schedule = get_schedule(portal_id, schedule_id)
    schedule.last_run_at = utcnow()
    return queue_batch(schedule, user_id)


def advance_schedule(schedule: ReportSchedule, now: datetime) -> None:
    """Set the next run after `now`; an end-of-term schedule runs once."""
    schedule.last_run_at = now
    if schedule.frequency == ScheduleFrequency.END_OF_TERM:
        schedule.active = False
        return
    schedule.next_run_at = next_run_at(schedule.frequency, now)


def next_run_at(frequency: str, after: datetime, term: Term | None = None) -> datetime:
    """When a schedule of `frequency` next runs after `after` (05:00 UTC).

    Raises ScheduleError for an unknown frequency, or an end-of-term schedule
    without a term that has an end date.
    """
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
            raise ScheduleError("an end-of-term schedule needs a term with an end date")
        return _at_hour(term.ends_on + timedelta(days=1))
    raise ScheduleError(
        f"invalid report frequency {frequency!r}: use weekly, monthly or end_of_term"
    )


def _at_hour(day: Any) -> datetime:
    return datetime.combine(day, time(SCHEDULED_HOUR_UTC), tzinfo=UTC)
