"""Report schedules in the app page (admins only): list, create, pause, run now.

Every form posts with the session token in `_session`, so the section works
without JavaScript: a plain POST gets the whole app page back. htmx posts get
the section fragment. Bad input re-renders the section with the message and
status 422; a schedule of another portal gets 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Response, abort, render_template, request
from redis.exceptions import RedisError

from b24app.analytics import report_schedules
from b24app.analytics.models import ReportRun
from b24app.analytics.report_schedules import ScheduleError, ScheduleNotFound
from b24app.extensions import db
from b24app.placements.app_page import render_app_page
from b24app.placements.blueprint import bp
from b24app.placements.reports import reports_context, schedule_fields
from b24app.tenancy.scoping import scoped
from b24app.web.htmx import hx_trigger, is_htmx_request, stop_polling
from b24app.web.messages import render_message
from b24app.web.params import InvalidParameter, positive_int
from b24app.web.session import current_portal, current_session, frame_session_required

log = logging.getLogger(__name__)

# A "run now" of an all-universities schedule queues one run per university
# and format, and the progress request lists them all in its query.
MAX_BATCH_RUNS = 500
# Sent with the last progress response of a batch, so the list of recent
# packs reloads and shows the new files.
REPORTS_FINISHED_EVENT = "b24app:reports-finished"


def reports_response(status: int = 200, **extra: Any) -> Response:
    """Return the section: a fragment for htmx, else the whole app page."""
    if not is_htmx_request():
        return Response(render_app_page("reports", **extra), status)
    context = reports_context(current_portal().id, **extra)
    body = render_template("placements/_section_reports.html", **context)
    return Response(body, status)


def change_schedule(change: Callable[[int], Any], action: str) -> Response:
    """Run `change(portal_id)` and respond with the section.

    ScheduleError becomes 422 with its message and ScheduleNotFound 404. An
    unreachable queue gets the section with a notice and status 200, as the
    settings section does, because htmx swaps no 5xx response into the page.
    """
    portal_id = current_portal().id
    try:
        result = change(portal_id)
    except ScheduleNotFound:
        return render_message(404, "not_found")
    except ScheduleError as error:
        db.session.rollback()
        return reports_response(422, error=str(error))
    except RedisError as error:
        db.session.rollback()
        log.warning("portal %s: %s failed to queue: %s", portal_id, action, error)
        return reports_response(notice="queue_unavailable")

    log.info("portal %s: %s by user %s", portal_id, action, current_session().user_id)
    batch = result if isinstance(result, list) else []
    return reports_response(batch=batch)


@bp.post("/b24/app/reports/schedules")
@frame_session_required(admin=True)
def create_report_schedule() -> Response:
    """Add a report schedule for one university or for all of them."""
    user_id = current_session().user_id

    def create(portal_id: int) -> None:
        fields = schedule_fields(request.form)
        report_schedules.create_schedule(portal_id, user_id=user_id, **fields)

    return change_schedule(create, "report schedule created")


@bp.post("/b24/app/reports/schedules/<int:schedule_id>/pause")
@frame_session_required(admin=True)
def pause_report_schedule(schedule_id: int) -> Response:
    """Stop a schedule until it is resumed."""
    return change_schedule(
        lambda portal_id: report_schedules.pause_schedule(portal_id, schedule_id),
        f"report schedule {schedule_id} paused",
    )


@bp.post("/b24/app/reports/schedules/<int:schedule_id>/resume")
@frame_session_required(admin=True)
def resume_report_schedule(schedule_id: int) -> Response:
    """Let a paused schedule run again from its next date."""
    return change_schedule(
        lambda portal_id: report_schedules.resume_schedule(portal_id, schedule_id),
        f"report schedule {schedule_id} resumed",
    )


@bp.post("/b24/app/reports/schedules/<int:schedule_id>/delete")
@frame_session_required(admin=True)
def delete_report_schedule(schedule_id: int) -> Response:
    """Delete a schedule. The packs it built stay downloadable."""
    return change_schedule(
        lambda portal_id: report_schedules.delete_schedule(portal_id, schedule_id),
        f"report schedule {schedule_id} deleted",
    )


@bp.post("/b24/app/reports/schedules/<int:schedule_id>/run")
@frame_session_required(admin=True)
def run_report_schedule(schedule_id: int) -> Response:
    """Queue the schedule's report packs now and show their progress."""
    user_id = current_session().user_id
    return change_schedule(
        lambda portal_id: report_schedules.run_schedule_now(
            portal_id, schedule_id, user_id
        ),
        f"report schedule {schedule_id} run",
    )


@bp.get("/b24/app/reports/runs")
@frame_session_required(admin=True)
def report_batch_progress() -> Response:
    """Show the progress of the runs in the repeated `run` values, 286 once done."""
    values = request.args.getlist("run")
    if not values or len(values) > MAX_BATCH_RUNS:
        abort(400, description=f"invalid run list: pass 1 to {MAX_BATCH_RUNS} run ids")
    try:
        run_ids = [positive_int(value, field="run") for value in values]
    except InvalidParameter as error:
        abort(400, description=str(error))

    runs = list(
        db.session.execute(
            scoped(ReportRun, current_portal().id)
            .where(ReportRun.id.in_(run_ids))
            .order_by(ReportRun.id)
        ).scalars()
    )
    body = render_template("placements/_report_batch.html", batch=runs)
    response = Response(body)
    if all(run.is_finished for run in runs):
        stop_polling(response)
        hx_trigger(response, REPORTS_FINISHED_EVENT)
    return response


@bp.get("/b24/app/reports/recent")
@frame_session_required(admin=True)
def recent_report_runs() -> str:
    """Return the list of the portal's latest report packs."""
    context = reports_context(current_portal().id)
    return render_template("placements/_report_recent.html", **context)
