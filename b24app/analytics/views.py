"""Analytics pages, fragments, JSON and downloads, all inside the frame session.

Pages load through htmx with the session header. Downloads are plain form
POSTs that carry the token in the hidden `_session` field, so the browser
saves the file itself.
"""

import logging
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, jsonify, render_template, request
from sqlalchemy import select

from b24app.analytics import exports, labels, report_jobs, scope
from b24app.analytics.display import format_cell
from b24app.analytics.drilldown import list_applications
from b24app.analytics.figures import (
    dashboard_figures,
    employer_figures,
    university_figures,
)
from b24app.analytics.filters import Filters
from b24app.analytics.models import ReportRun
from b24app.analytics.organizations import NotFound
from b24app.analytics.tables import dashboard_tables
from b24app.extensions import db
from b24app.program.models import Term, University
from b24app.tenancy.scoping import get_scoped_or_404
from b24app.web.htmx import page_layout, stop_polling
from b24app.web.input_guard import guard_frame_input
from b24app.web.security import protect_frame_blueprint
from b24app.web.session import current_portal, current_session, frame_session_required

log = logging.getLogger(__name__)

# The vendored Chart.js build (npm package chart.js, UMD bundle, MIT licence).
CHART_VERSION = "4.6.1"
CHART_SCRIPT = f"vendor/chart-{CHART_VERSION}.umd.min.js"

bp = Blueprint("analytics", __name__, url_prefix="/analytics")
protect_frame_blueprint(bp)
guard_frame_input(bp)


@bp.app_template_global("analytics_title")
def analytics_title(key: str) -> str:
    return labels.title(key, current_session().lang)


@bp.app_template_global("analytics_value")
def analytics_value(value: str) -> str:
    return labels.value_name(value, current_session().lang)


@bp.app_template_global("analytics_chart_script")
def analytics_chart_script() -> str:
    """Return the static path of the vendored Chart.js build."""
    return CHART_SCRIPT


bp.add_app_template_global(format_cell, "analytics_cell")


def request_filters() -> Filters:
    """Parse the filters of this request (query or form), aborting 400 if invalid."""
    try:
        return Filters.from_mapping(request.values)
    except ValueError as error:
        abort(400, description=str(error))


@bp.get("/dashboard")
@frame_session_required()
def dashboard() -> str:
    """Show the program dashboard: figures, charts with their tables, exports."""
    portal_id = current_portal().id
    filters = request_filters()
    figures = dashboard_figures(portal_id, filters)
    return render_template(
        "analytics/dashboard.html",
        layout=page_layout(),
        figures=figures,
        filters=filters,
        choices=filter_choices(portal_id),
        **chart_rows(figures),
    )


def filter_choices(portal_id: int) -> dict[str, list]:
    terms = db.session.execute(
        select(Term.id, Term.name)
        .where(Term.portal_id == portal_id)
        .order_by(Term.starts_on.desc(), Term.id.desc())
    ).all()
    universities = db.session.execute(
        scope.universities(portal_id).order_by(University.name)
    ).all()
    return {"terms": terms, "universities": universities}


def chart_rows(figures: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Dashboard counts as rows, the shape the chart tables take."""

    def rows(counts: dict[str, int]) -> list[dict[str, Any]]:
        return [{"key": key, "count": count} for key, count in counts.items()]

    return {
        "stage_rows": rows(figures["application_stage"]),
        "status_rows": rows(figures["internship_status"]),
        "source_rows": rows(figures["sources"]),
        "duration_rows": [
            {"stage": stage, **values}
            for stage, values in figures["stage_durations"].items()
        ],
    }


@bp.get("/dashboard.json")
@frame_session_required()
def dashboard_json() -> Response:
    return jsonify(dashboard_figures(current_portal().id, request_filters()))


@bp.get("/applications")
@frame_session_required()
def applications() -> str:
    """List the applications behind a dashboard number, newest first."""
    rows, total = list_applications(
        current_portal().id,
        request_filters(),
        stage=request.args.get("stage") or None,
        source=request.args.get("source") or None,
    )
    return render_template("analytics/_applications.html", rows=rows, total=total)


@bp.get("/universities/<int:university_id>.json")
@frame_session_required()
def university_json(university_id: int) -> Response:
    return jsonify(_organization(university_figures, university_id))


@bp.get("/employers/<int:employer_id>.json")
@frame_session_required()
def employer_json(employer_id: int) -> Response:
    return jsonify(_organization(employer_figures, employer_id))


@bp.get("/universities/<int:university_id>")
@frame_session_required()
def university_stats(university_id: int) -> str:
    """Statistics of one university, as a fragment the company tab includes."""
    figures = _organization(university_figures, university_id)
    return render_template("analytics/_university.html", figures=figures)


@bp.get("/employers/<int:employer_id>")
@frame_session_required()
def employer_stats(employer_id: int) -> str:
    """Statistics of one employer, as a fragment the company tab includes."""
    figures = _organization(employer_figures, employer_id)
    return render_template("analytics/_employer.html", figures=figures)


def _organization(figure: Any, organization_id: int) -> dict[str, Any]:
    try:
        return figure(current_portal().id, organization_id, request_filters())
    except NotFound:
        abort(404)


@bp.post("/dashboard/export.<string:file_format>")
@frame_session_required()
def export_dashboard(file_format: str) -> Response:
    """Download the dashboard: XLSX with every table, or CSV of one table."""
    lang = current_session().lang
    figures = dashboard_figures(current_portal().id, request_filters())
    tables = dashboard_tables(figures, lang)

    if file_format == "xlsx":
        return download(
            exports.write_xlsx(tables, lang), "dashboard.xlsx", exports.XLSX_MEDIA_TYPE
        )
    if file_format != "csv":
        abort(404)

    by_name = {table.name: table for table in tables}
    table = by_name.get(request.form.get("table", "summary"))
    if table is None:
        abort(400, description=f"unknown table: use one of {sorted(by_name)}")
    delimiter = ";" if request.form.get("delimiter") == ";" else ","
    content = exports.write_csv(table, lang, delimiter)
    return download(content, f"{table.name}.csv", exports.CSV_MEDIA_TYPE)


def download(content: bytes, file_name: str, media_type: str) -> Response:
    response = Response(content, mimetype=media_type)
    # Headers are Latin-1, and report names keep Cyrillic: the UTF-8 name goes in
    # `filename*` (RFC 6266) with an ASCII fallback for old clients.
    fallback = file_name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name)}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/universities/<int:university_id>/reports")
@frame_session_required(admin=True)
def request_report(university_id: int) -> str:
    """Queue a report pack (XLSX, or PDF with `format=pdf`) and show its progress."""
    session = current_session()
    file_format = request.form.get("format") or "xlsx"
    if file_format not in report_jobs.BUILDERS:
        abort(400, description=f"invalid format {file_format!r}: use xlsx or pdf")
    run = report_jobs.request_report(
        current_portal().id,
        _live_university_id(university_id),
        request_filters(),
        session.lang,
        user_id=session.user_id,
        attach_to_crm=request.form.get("attach_to_crm") == "1",
        file_format=file_format,
    )
    log.info(
        "report %s requested by user %s, portal %s",
        run.id,
        session.user_id,
        run.portal_id,
    )
    return render_template("analytics/_report_run.html", run=run)


def _live_university_id(university_id: int) -> int:
    university = get_scoped_or_404(University, current_portal().id, id=university_id)
    if university.deleted:
        abort(404)
    return university.id


@bp.get("/reports/<int:run_id>")
@frame_session_required(admin=True)
def report_status(run_id: int) -> Response:
    """Show the progress of a report pack, with status 286 once it has finished."""
    run = get_scoped_or_404(ReportRun, current_portal().id, id=run_id)
    response = Response(render_template("analytics/_report_run.html", run=run))
    return stop_polling(response) if run.is_finished else response


@bp.post("/reports/<int:run_id>/download")
@frame_session_required(admin=True)
def report_download(run_id: int) -> Response:
    """Send a finished pack; admins only, as packs list students' contacts."""
    run = get_scoped_or_404(ReportRun, current_portal().id, id=run_id)
    path = report_jobs.report_file(run)
    if path is None:
        abort(404)
    return download(
        path.read_bytes(), run.file_name or path.name, report_jobs.media_type(run)
    )
