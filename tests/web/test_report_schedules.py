"""Report schedules section: list, create, pause, resume, delete, run now."""

from datetime import UTC, date, datetime

import pytest
from rq import Queue, SimpleWorker

from b24app.analytics.models import ReportRun, ReportSchedule, ReportStatus
from b24app.extensions import db
from b24app.jobs import get_jobs
from b24app.program.models import Term, University
from b24app.web.session import SESSION_FIELD

from .placement_support import headers, non_admin, university_of
from .support import install_portal

CREATE_URL = "/b24/app/reports/schedules"


def schedule_form(**changes) -> dict:
    form = {
        "university_id": "",
        "term_id": "",
        "frequency": "weekly",
        "file_format": "pdf",
        "lang": "en",
    }
    return {**form, **changes}


def schedules_of(mirror) -> list[ReportSchedule]:
    return list(
        db.session.execute(
            db.select(ReportSchedule)
            .where(ReportSchedule.portal_id == mirror.portal.id)
            .order_by(ReportSchedule.id)
        ).scalars()
    )


def work_reports(app) -> None:
    redis = get_jobs(app).redis
    SimpleWorker([Queue("reports", connection=redis)], connection=redis).work(
        burst=True
    )


def test_section_lists_no_schedules(client, mirror):
    response = client.get("/b24/app/section/reports", headers=headers(mirror))

    assert response.status_code == 200
    assert "data-no-schedules" in response.text
    assert "data-schedule-form" in response.text


def test_section_rejects_non_admin(client, mirror):
    response = client.get("/b24/app/section/reports", headers=non_admin(mirror))

    assert response.status_code == 403
    assert "Только для администраторов" in response.text


def test_create_schedule_for_university(client, mirror):
    university = university_of(mirror)

    response = client.post(
        CREATE_URL,
        data=schedule_form(
            university_id=str(university.id), file_format="both", attach_to_crm="1"
        ),
        headers=headers(mirror),
    )

    assert response.status_code == 200
    [schedule] = schedules_of(mirror)
    assert schedule.university_id == university.id
    assert schedule.file_format == "both"
    assert schedule.lang == "en"
    assert schedule.attach_to_crm is True
    assert schedule.created_by_user_id == 1
    assert f'data-schedule="{schedule.id}"' in response.text
    assert university.name in response.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("frequency", "daily", "invalid frequency"),
        ("file_format", "docx", "invalid report format"),
        ("lang", "de", "invalid language"),
        ("university_id", "abc", "university_id"),
        ("university_id", "999999", "not found"),
        ("term_id", "999999", "not found"),
        ("frequency", "end_of_term", "term with an end date"),
    ],
)
def test_create_rejects_bad_input(client, mirror, field, value, message):
    response = client.post(
        CREATE_URL, data=schedule_form(**{field: value}), headers=headers(mirror)
    )

    assert response.status_code == 422
    assert message in response.text
    assert schedules_of(mirror) == []


def test_create_rejects_other_portals_university(client, mirror, portal_server):
    other = install_portal(portal_server, member_id="other-reports")
    foreign = University(portal_id=other.id, name="Foreign University")
    db.session.add(foreign)
    db.session.commit()

    response = client.post(
        CREATE_URL,
        data=schedule_form(university_id=str(foreign.id)),
        headers=headers(mirror),
    )

    assert response.status_code == 422
    assert schedules_of(mirror) == []


def test_end_of_term_schedule_with_term(client, mirror):
    term = Term(portal_id=mirror.portal.id, name="Весна", ends_on=date(2099, 6, 30))
    db.session.add(term)
    db.session.commit()

    response = client.post(
        CREATE_URL,
        data=schedule_form(frequency="end_of_term", term_id=str(term.id)),
        headers=headers(mirror),
    )

    assert response.status_code == 200
    [schedule] = schedules_of(mirror)
    assert schedule.next_run_at.date() == date(2099, 7, 1)


def test_mutations_reject_non_admin(client, mirror):
    response = client.post(CREATE_URL, data=schedule_form(), headers=non_admin(mirror))

    assert response.status_code == 403
    assert schedules_of(mirror) == []


def test_pause_and_resume(client, mirror):
    client.post(CREATE_URL, data=schedule_form(), headers=headers(mirror))
    [schedule] = schedules_of(mirror)
    next_run = schedule.next_run_at

    paused = client.post(
        f"/b24/app/reports/schedules/{schedule.id}/pause", headers=headers(mirror)
    )
    db.session.refresh(schedule)
    assert paused.status_code == 200
    assert schedule.active is False
    assert 'data-active="0"' in paused.text

    resumed = client.post(
        f"/b24/app/reports/schedules/{schedule.id}/resume", headers=headers(mirror)
    )
    db.session.refresh(schedule)
    assert resumed.status_code == 200
    assert schedule.active is True
    assert schedule.next_run_at == next_run


def test_delete_schedule(client, mirror):
    client.post(CREATE_URL, data=schedule_form(), headers=headers(mirror))
    [schedule] = schedules_of(mirror)

    response = client.post(
        f"/b24/app/reports/schedules/{schedule.id}/delete", headers=headers(mirror)
    )

    assert response.status_code == 200
    assert schedules_of(mirror) == []


def test_other_portals_schedule_is_not_found(client, mirror, portal_server):
    other = install_portal(portal_server, member_id="other-reports")
    foreign = ReportSchedule(portal_id=other.id, frequency="weekly")
    db.session.add(foreign)
    db.session.commit()

    for action in ("pause", "resume", "delete", "run"):
        response = client.post(
            f"/b24/app/reports/schedules/{foreign.id}/{action}",
            headers=headers(mirror),
        )
        assert response.status_code == 404, action
    db.session.refresh(foreign)
    assert foreign.active is True


def test_run_now_builds_each_format(app, client, mirror, tmp_path):
    app.instance_path = str(tmp_path)
    university = university_of(mirror)
    client.post(
        CREATE_URL,
        data=schedule_form(university_id=str(university.id), file_format="both"),
        headers=headers(mirror),
    )
    [schedule] = schedules_of(mirror)

    response = client.post(
        f"/b24/app/reports/schedules/{schedule.id}/run", headers=headers(mirror)
    )
    runs = list(
        db.session.execute(
            db.select(ReportRun).where(ReportRun.schedule_id == schedule.id)
        ).scalars()
    )
    assert response.status_code == 200
    assert "data-report-batch" in response.text
    assert sorted(run.parameters["format"] for run in runs) == ["pdf", "xlsx"]
    first, second = sorted(run.id for run in runs)
    assert f"/b24/app/reports/runs?run={first}&amp;run={second}" in response.text

    work_reports(app)
    query = "&".join(f"run={run.id}" for run in runs)
    progress = client.get(f"/b24/app/reports/runs?{query}", headers=headers(mirror))
    db.session.expire_all()
    assert progress.status_code == 286
    assert "b24app:reports-finished" in progress.headers["HX-Trigger"]
    assert {run.status for run in runs} == {ReportStatus.SUCCEEDED}
    assert {run.file_name.rsplit(".", 1)[1] for run in runs} == {"pdf", "xlsx"}
    assert schedules_of(mirror)[0].last_run_at is not None

    pdf_run = next(run for run in runs if run.file_name.endswith(".pdf"))
    download = client.post(
        f"/analytics/reports/{pdf_run.id}/download", headers=headers(mirror)
    )
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF-")
    assert "filename*=UTF-8''" in download.headers["Content-Disposition"]


def test_failed_run_shows_last_error(app, client, mirror, tmp_path):
    app.instance_path = str(tmp_path)
    university = university_of(mirror)
    client.post(
        CREATE_URL,
        data=schedule_form(university_id=str(university.id)),
        headers=headers(mirror),
    )
    [schedule] = schedules_of(mirror)
    university.deleted = True
    db.session.commit()

    client.post(
        f"/b24/app/reports/schedules/{schedule.id}/run", headers=headers(mirror)
    )
    work_reports(app)
    response = client.get("/b24/app/section/reports", headers=headers(mirror))

    db.session.refresh(schedule)
    assert "NotFound" in schedule.last_error
    assert "data-last-error" in response.text


def test_plain_post_returns_whole_page(client, mirror):
    [token] = headers(mirror, htmx=False).values()

    response = client.post(CREATE_URL, data={**schedule_form(), SESSION_FIELD: token})

    assert response.status_code == 200
    assert "<html" in response.text
    assert "data-schedules" in response.text
    assert len(schedules_of(mirror)) == 1


def test_batch_progress_needs_run_ids(client, mirror):
    response = client.get("/b24/app/reports/runs", headers=headers(mirror))

    assert response.status_code == 400


def test_delete_keeps_built_runs(app, client, mirror, tmp_path):
    app.instance_path = str(tmp_path)
    university = university_of(mirror)
    client.post(
        CREATE_URL,
        data=schedule_form(university_id=str(university.id)),
        headers=headers(mirror),
    )
    [schedule] = schedules_of(mirror)
    client.post(
        f"/b24/app/reports/schedules/{schedule.id}/run", headers=headers(mirror)
    )
    work_reports(app)

    client.post(
        f"/b24/app/reports/schedules/{schedule.id}/delete", headers=headers(mirror)
    )
    db.session.expire_all()

    [run] = db.session.execute(
        db.select(ReportRun).where(ReportRun.portal_id == mirror.portal.id)
    ).scalars()
    assert run.schedule_id is None
    assert run.status == ReportStatus.SUCCEEDED
    section = client.get("/b24/app/section/reports", headers=headers(mirror))
    assert f'data-run="{run.id}"' in section.text


def test_resume_moves_past_run_to_future(client, mirror):
    client.post(CREATE_URL, data=schedule_form(), headers=headers(mirror))
    [schedule] = schedules_of(mirror)
    schedule.active = False
    schedule.next_run_at = datetime(2020, 1, 6, 5, tzinfo=UTC)
    db.session.commit()

    client.post(
        f"/b24/app/reports/schedules/{schedule.id}/resume", headers=headers(mirror)
    )

    db.session.refresh(schedule)
    assert schedule.active is True
    assert schedule.next_run_at > datetime.now(UTC)


def test_finished_end_of_term_cannot_resume(client, mirror):
    schedule = ReportSchedule(
        portal_id=mirror.portal.id,
        frequency="end_of_term",
        active=False,
        last_run_at=datetime(2026, 7, 1, 5, tzinfo=UTC),
    )
    db.session.add(schedule)
    db.session.commit()

    response = client.post(
        f"/b24/app/reports/schedules/{schedule.id}/resume", headers=headers(mirror)
    )

    assert response.status_code == 422
    assert "create a new schedule" in response.text
    db.session.refresh(schedule)
    assert schedule.active is False


def test_recent_runs_fragment(client, mirror):
    response = client.get("/b24/app/reports/recent", headers=headers(mirror))
    refused = client.get("/b24/app/reports/recent", headers=non_admin(mirror))

    assert response.status_code == 200
    assert 'id="recent-reports"' in response.text
    assert refused.status_code == 403
