"""A scheduled PDF report pack built by a worker and filed in the emulator's CRM."""

from datetime import UTC, datetime, timedelta

from b24app.analytics.models import ReportRun, ReportStatus
from b24app.analytics.report_jobs import report_file
from b24app.analytics.report_schedules import check_due_schedules, create_schedule
from b24app.extensions import db
from b24app.program.models import University
from b24app.sync.fullsync import start_full_sync
from b24app.sync.outbound import deliver_outbox

from .support import populate, run_jobs


def test_scheduled_pdf_reaches_company_timeline(app, sync_portal, tmp_path):
    app.instance_path = str(tmp_path)
    ids = populate(sync_portal, students=6, applications=4)
    start_full_sync(sync_portal.portal_id, run_now=True)
    university = db.session.execute(
        db.select(University).where(
            University.portal_id == sync_portal.portal_id,
            University.bitrix_id == ids["university"][0],
        )
    ).scalar_one()
    schedule = create_schedule(
        sync_portal.portal_id,
        "weekly",
        university.id,
        lang="ru",
        attach_to_crm=True,
        file_format="pdf",
    )
    now = datetime.now(UTC)
    schedule.next_run_at = now - timedelta(minutes=1)
    db.session.commit()

    assert check_due_schedules(now) == 1
    run_jobs(app)
    deliver_outbox(sync_portal.portal_id)

    run = db.session.execute(
        db.select(ReportRun).where(ReportRun.schedule_id == schedule.id)
    ).scalar_one()
    assert run.status == ReportStatus.SUCCEEDED
    content = report_file(run).read_bytes()
    with sync_portal.server.state.lock:
        crm = sync_portal.server.state.crm
        comments = [
            comment
            for comment in crm.timeline.values()
            if comment["ENTITY_TYPE"] == "company"
            and int(comment["ENTITY_ID"]) == university.bitrix_id
        ]
        [attached] = comments[0]["FILES"].values()
        received = crm.timeline_files[attached["id"]]
    assert len(comments) == 1
    assert university.name in comments[0]["COMMENT"]
    assert attached["name"] == run.file_name
    assert attached["name"].endswith(".pdf")
    assert attached["size"] == len(content)
    assert received == content
    assert received.startswith(b"%PDF-")
