"""University report packs built by a real RQ worker."""

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rq import Queue, SimpleWorker

from b24app.analytics import Filters
from b24app.analytics.models import ReportRun, ReportSchedule, ReportStatus
from b24app.analytics.report_jobs import report_file, request_report
from b24app.analytics.report_schedules import (
    check_due_schedules,
    create_schedule,
    next_run_at,
)
from b24app.extensions import db
from b24app.jobs import get_jobs
from b24app.program.models import CrmOutbox, Term, University


def run_reports_queue(app) -> None:
    redis = get_jobs(app).redis
    SimpleWorker([Queue("reports", connection=redis)], connection=redis).work(
        burst=True
    )


def test_report_pack_built_by_worker(app, program, tmp_path):
    app.instance_path = str(tmp_path)

    run = request_report(program.portal_id, program["U1"], lang="ru", user_id=5)
    run_reports_queue(app)
    db.session.expire_all()
    run = db.session.get(ReportRun, run.id)

    assert run.status == ReportStatus.SUCCEEDED
    assert run.progress == 100
    assert run.finished_at is not None
    path = report_file(run)
    assert path is not None
    assert path.parent == Path(tmp_path) / "reports" / str(program.portal_id)

    workbook = load_workbook(io.BytesIO(path.read_bytes()))
    assert workbook.sheetnames == [
        "Сводка",
        "Студенты",
        "Заявки",
        "История стадий",
        "Партнёрства и места",
        "Воронка",
    ]
    summary = {row[0]: row[1] for row in workbook["Сводка"].iter_rows(values_only=True)}
    assert summary["Вуз"] == "Alpha University"
    assert summary["Студенты"] == 4
    assert summary["Трудоустроены"] == 1
    assert summary["Мест по договору"] == 4
    assert summary["Сформирован"].year >= 2026
    assert workbook["Студенты"].max_row == 1 + 4
    assert workbook["Заявки"].max_row == 1 + 6
    assert workbook["Заявки"]["G2"].is_date
    assert workbook["История стадий"].max_row == 1 + 17


def test_report_pack_in_one_term_in_english(app, program, tmp_path):
    app.instance_path = str(tmp_path)

    run = request_report(
        program.portal_id, program["U1"], Filters(term_id=program["T1"]), lang="en"
    )
    run_reports_queue(app)
    db.session.expire_all()

    workbook = load_workbook(report_file(db.session.get(ReportRun, run.id)))
    assert workbook["Applications"].max_row == 1 + 4
    assert run.parameters["filters"] == {"term_id": program["T1"]}


def test_report_attached_to_company_timeline(app, program, tmp_path):
    app.instance_path = str(tmp_path)
    db.session.get(University, program["U1"]).bitrix_id = 77
    db.session.commit()

    request_report(program.portal_id, program["U1"], attach_to_crm=True)
    run_reports_queue(app)

    outbox = db.session.query(CrmOutbox).one()
    fields = outbox.payload["fields"]
    assert outbox.kind == "add_timeline_comment"
    assert fields["ENTITY_TYPE"] == "company"
    assert fields["ENTITY_ID"] == 77
    assert fields["FILES"][0][0].endswith(".xlsx")
    assert len(fields["FILES"][0][1]) > 100


def test_failed_report_records_error(app, program, tmp_path):
    app.instance_path = str(tmp_path)

    run = request_report(program.portal_id, program["U3"])
    run_reports_queue(app)
    db.session.expire_all()
    run = db.session.get(ReportRun, run.id)

    assert run.status == ReportStatus.FAILED
    assert "NotFound" in run.error
    assert report_file(run) is None


def test_due_schedule_queues_every_university(app, program, tmp_path):
    app.instance_path = str(tmp_path)
    now = datetime(2026, 10, 5, 6, tzinfo=UTC)
    db.session.add(
        ReportSchedule(
            portal_id=program.portal_id,
            frequency="weekly",
            next_run_at=now - timedelta(minutes=1),
        )
    )
    db.session.commit()

    queued = check_due_schedules(now)
    run_reports_queue(app)

    schedule = db.session.query(ReportSchedule).one()
    runs = db.session.query(ReportRun).all()
    assert queued == 3
    assert sorted(run.university_id for run in runs) == sorted(
        [program["U1"], program["U2"], program["U4"]]
    )
    assert {run.status for run in runs} == {ReportStatus.SUCCEEDED}
    assert schedule.next_run_at == datetime(2026, 10, 12, 5, tzinfo=UTC)
    assert check_due_schedules(now) == 0


def test_next_run_dates():
    after = datetime(2026, 1, 31, 12, tzinfo=UTC)

    assert next_run_at("weekly", after) == datetime(2026, 2, 7, 5, tzinfo=UTC)
    assert next_run_at("monthly", after) == datetime(2026, 2, 28, 5, tzinfo=UTC)


def test_end_of_term_schedule_runs_once(app, program, tmp_path):
    app.instance_path = str(tmp_path)
    term = db.session.get(Term, program["T1"])
    term.ends_on = date(2026, 6, 30)
    db.session.commit()

    schedule = create_schedule(
        program.portal_id, "end_of_term", program["U2"], term_id=term.id
    )
    first_run_at = schedule.next_run_at
    queued = check_due_schedules(datetime(2026, 7, 1, 6, tzinfo=UTC))

    assert first_run_at == datetime(2026, 7, 1, 5, tzinfo=UTC)
    assert queued == 1
    assert schedule.active is False


def test_end_of_term_schedule_needs_term(program):
    with pytest.raises(ValueError, match="term"):
        create_schedule(program.portal_id, "end_of_term", program["U2"])


def test_schedule_check_registered_as_periodic(app):
    from b24app.ops.periodic import PERIODIC_JOBS

    job = PERIODIC_JOBS["report-schedules"]

    assert job.func_path == "b24app.analytics.report_schedules.check_due_schedules"
    assert job.queue == "reports"


def test_pdf_pack_attached_to_company_timeline(app, program, tmp_path):
    app.instance_path = str(tmp_path)
    db.session.get(University, program["U1"]).bitrix_id = 77
    db.session.commit()

    run = request_report(
        program.portal_id, program["U1"], attach_to_crm=True, file_format="pdf"
    )
    run_reports_queue(app)
    db.session.expire_all()

    run = db.session.get(ReportRun, run.id)
    fields = db.session.query(CrmOutbox).one().payload["fields"]
    assert run.status == ReportStatus.SUCCEEDED
    assert run.file_name.endswith(".pdf")
    assert report_file(run).read_bytes().startswith(b"%PDF-")
    assert fields["FILES"][0][0] == run.file_name


def test_report_rejects_unknown_format(program):
    with pytest.raises(ValueError, match="invalid report format"):
        request_report(program.portal_id, program["U1"], file_format="docx")

    assert db.session.query(ReportRun).count() == 0


def test_schedule_both_formats_queues_two_runs(app, program, tmp_path):
    app.instance_path = str(tmp_path)
    schedule = create_schedule(
        program.portal_id, "weekly", program["U2"], lang="en", file_format="both"
    )
    schedule.next_run_at = datetime(2026, 10, 1, 5, tzinfo=UTC)
    db.session.commit()

    queued = check_due_schedules(datetime(2026, 10, 1, 6, tzinfo=UTC))
    run_reports_queue(app)

    runs = db.session.query(ReportRun).order_by(ReportRun.id).all()
    assert queued == 2
    assert [run.parameters["format"] for run in runs] == ["xlsx", "pdf"]
    assert {run.parameters["lang"] for run in runs} == {"en"}
    assert {run.status for run in runs} == {ReportStatus.SUCCEEDED}
