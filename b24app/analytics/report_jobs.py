"""Report pack jobs: build one university's pack as XLSX or PDF, with progress.

`request_report` stores a ReportRun and enqueues `run_report` on the "reports"
queue. The job writes the file under the instance folder
(`reports/<portal>/<run>-<university>.<xlsx|pdf>`) and, when asked, queues a
CRM timeline comment with the file on the university's company card. The
schedules that request runs live in `report_schedules`.
"""

import base64
import logging
import re
from pathlib import Path

from flask import current_app
from rq import get_current_job

from b24app.analytics import labels
from b24app.analytics.exports import XLSX_MEDIA_TYPE
from b24app.analytics.filters import Filters
from b24app.analytics.models import (
    ReportFormat,
    ReportRun,
    ReportSchedule,
    ReportStatus,
)
from b24app.analytics.report_pack import build_university_pack
from b24app.analytics.report_pdf import PDF_MEDIA_TYPE, build_university_pdf
from b24app.extensions import db
from b24app.jobs import enqueue
from b24app.ops.periodic import register_periodic
from b24app.program.models import CrmOutbox, OutboxKind, University
from b24app.tenancy.models import utcnow

log = logging.getLogger(__name__)

REPORT_QUEUE = "reports"
REPORT_TIMEOUT_SECONDS = 15 * 60
SCHEDULE_CHECK_SECONDS = 300
# Bitrix24 receives attached files base64-encoded inside the JSON request.
MAX_CRM_ATTACHMENT_BYTES = 10 * 1024 * 1024

BUILDERS = {
    ReportFormat.XLSX: build_university_pack,
    ReportFormat.PDF: build_university_pdf,
}
MEDIA_TYPES = {
    ReportFormat.XLSX: XLSX_MEDIA_TYPE,
    ReportFormat.PDF: PDF_MEDIA_TYPE,
}


def register_jobs() -> None:
    register_periodic(
        "report-schedules",
        "b24app.analytics.report_schedules.check_due_schedules",
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
    file_format: str = ReportFormat.XLSX,
) -> ReportRun:
    """Store a queued ReportRun, commit it, and enqueue the job that builds it.

    Raises ValueError for a file format other than xlsx or pdf.
    """
    if file_format not in BUILDERS:
        raise ValueError(f"invalid report format {file_format!r}: use xlsx or pdf")

    run = ReportRun(
        portal_id=portal_id,
        university_id=university_id,
        schedule_id=schedule_id,
        requested_by_user_id=user_id,
        parameters={
            "filters": (filters or Filters()).to_dict(),
            "lang": labels.language(lang),
            "attach_to_crm": attach_to_crm,
            "format": str(file_format),
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
        "report %s (%s) queued, portal %s, university %s",
        run.id,
        file_format,
        portal_id,
        university_id,
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
        _record_schedule_error(run)
        db.session.commit()
        log.exception("report %s failed, portal %s", run_id, run.portal_id)
        raise

    log.info("report %s built, portal %s: %s", run_id, run.portal_id, relative_path)
    return relative_path


def _record_schedule_error(run: ReportRun) -> None:
    if run.schedule_id is None:
        return
    schedule = db.session.get(ReportSchedule, run.schedule_id)
    if schedule is not None and schedule.portal_id == run.portal_id:
        schedule.last_error = (
            f"report {run.id}, university {run.university_id}: {run.error}"
        )[:2000]


def run_format(run: ReportRun) -> ReportFormat:
    """Return the file format of a run; runs stored before PDF existed are XLSX."""
    return ReportFormat(run.parameters.get("format") or ReportFormat.XLSX)


def media_type(run: ReportRun) -> str:
    return MEDIA_TYPES[run_format(run)]


def _build_and_store(run: ReportRun) -> str:
    filters = Filters.from_mapping(run.parameters.get("filters"))
    lang = labels.language(run.parameters.get("lang"))
    file_format = run_format(run)
    content = BUILDERS[file_format](
        run.portal_id,
        run.university_id,
        filters,
        lang,
        lambda percent: _set_progress(run, percent),
    )

    university = db.session.get(University, run.university_id)
    name = f"{run.id}-{slug(university.name if university else '')}.{file_format}"
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


def slug(text: str) -> str:
    """Make `text` safe as a file name (Cyrillic kept), at most 60 characters."""
    cleaned = re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-.")
    return cleaned[:60] or "report"
