"""Hostile requests to the report packs and the admin report schedules."""

import time
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from web.conftest import mirror, portal_server  # noqa: F401
from web.placement_support import headers, non_admin, university_of
from web.support import install_portal

from b24app.analytics.models import ReportRun, ReportSchedule, ReportStatus
from b24app.analytics.report_jobs import slug
from b24app.extensions import db
from b24app.program.models import University
from b24app.web.session import (
    SESSION_HEADER,
    SESSION_SALT,
    FrameSession,
    issue_session_token,
)

HUGE = "99999999999999999999"
BEYOND_INT4 = str(2**31)
SCHEDULES = "/b24/app/reports/schedules"
HOSTILE_UNIVERSITY = 'Уни"\r\nSet-Cookie: x=1; ../../etc/passwd'

SCHEDULE_FORM = {"frequency": "weekly", "file_format": "xlsx", "lang": "en"}


@pytest.mark.parametrize("run_id", [HUGE, BEYOND_INT4, "0"])
def test_report_status_with_huge_id_is_404(client, mirror, run_id):  # noqa: F811
    response = client.get(f"/analytics/reports/{run_id}", headers=headers(mirror))

    assert response.status_code == 404


@pytest.mark.parametrize("run_id", [HUGE, BEYOND_INT4])
def test_report_download_with_huge_id_is_404(client, mirror, run_id):  # noqa: F811
    response = client.post(
        f"/analytics/reports/{run_id}/download", headers=headers(mirror)
    )

    assert response.status_code == 404


@pytest.mark.parametrize("action", ["pause", "resume", "delete", "run"])
@pytest.mark.parametrize("schedule_id", [HUGE, BEYOND_INT4])
def test_schedule_action_with_huge_id_is_404(client, mirror, action, schedule_id):  # noqa: F811
    url = f"/b24/app/reports/schedules/{schedule_id}/{action}"

    response = client.post(url, headers=headers(mirror))

    assert response.status_code == 404


@pytest.mark.parametrize("run", [HUGE, BEYOND_INT4, "-1", "abc", "1&run=abc"])
def test_batch_progress_with_bad_run_id_is_400(client, mirror, run):  # noqa: F811
    response = client.get(f"/b24/app/reports/runs?run={run}", headers=headers(mirror))

    assert response.status_code == 400


def test_batch_progress_rejects_non_admin(client, mirror):  # noqa: F811
    response = client.get("/b24/app/reports/runs?run=1", headers=non_admin(mirror))

    assert response.status_code == 403


class LongAgoSigner(TimestampSigner):
    """Signs as if the token were issued an hour ago."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 3600


def expired_token(app, mirror) -> str:  # noqa: F811
    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=SESSION_SALT, signer=LongAgoSigner
    )
    return serializer.dumps({"p": mirror.portal.id, "u": 1, "a": True, "l": "en"})


def forged_token(mirror) -> str:  # noqa: F811
    serializer = URLSafeTimedSerializer("not-the-secret", salt=SESSION_SALT)
    return serializer.dumps({"p": mirror.portal.id, "u": 1, "a": True, "l": "en"})


def schedule_count(mirror) -> int:  # noqa: F811
    statement = db.select(db.func.count()).where(
        ReportSchedule.portal_id == mirror.portal.id
    )
    return db.session.execute(statement.select_from(ReportSchedule)).scalar_one()


@pytest.mark.parametrize("token", ["missing", "expired", "forged", "garbage"])
def test_schedule_create_without_valid_token_is_401(app, client, mirror, token):  # noqa: F811
    values = {
        "missing": None,
        "expired": expired_token(app, mirror),
        "forged": forged_token(mirror),
        "garbage": "x" * 10_000,
    }
    sent = {} if values[token] is None else {SESSION_HEADER: values[token]}

    response = client.post(SCHEDULES, data=SCHEDULE_FORM, headers=sent)

    assert response.status_code == 401
    assert schedule_count(mirror) == 0


def test_other_portals_admin_cannot_touch_schedule(client, mirror, portal_server):  # noqa: F811
    created = client.post(SCHEDULES, data=SCHEDULE_FORM, headers=headers(mirror))
    assert created.status_code == 200
    schedule = db.session.execute(
        db.select(ReportSchedule).where(ReportSchedule.portal_id == mirror.portal.id)
    ).scalar_one()
    other = install_portal(portal_server, member_id="attacker-portal")
    session = FrameSession(other.id, 1, True, "en")
    foreign = {SESSION_HEADER: issue_session_token(session), "HX-Request": "true"}

    for action in ("pause", "delete", "run"):
        url = f"{SCHEDULES}/{schedule.id}/{action}"
        assert client.post(url, headers=foreign).status_code == 404

    db.session.refresh(schedule)
    assert schedule.active is True


def stored_run(app, portal_id: int, relative: str) -> ReportRun:
    path = Path(app.instance_path) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"PK secret pack")
    run = ReportRun(
        portal_id=portal_id,
        status=ReportStatus.SUCCEEDED,
        file_path=relative,
        # Report jobs name files like this, from the university's name.
        file_name=f"1-{slug(HOSTILE_UNIVERSITY)}.xlsx",
    )
    db.session.add(run)
    db.session.commit()
    return run


def test_other_portals_pack_is_404(app, client, mirror, portal_server):  # noqa: F811
    other = install_portal(portal_server, member_id="pack-owner")
    run = stored_run(app, other.id, f"reports/{other.id}/attack-test.xlsx")

    status = client.get(f"/analytics/reports/{run.id}", headers=headers(mirror))
    download = client.post(
        f"/analytics/reports/{run.id}/download", headers=headers(mirror)
    )

    assert status.status_code == 404
    assert download.status_code == 404


def test_download_header_survives_hostile_file_name(app, client, mirror):  # noqa: F811
    run = stored_run(app, mirror.portal.id, f"reports/{mirror.portal.id}/a.xlsx")

    response = client.post(
        f"/analytics/reports/{run.id}/download", headers=headers(mirror)
    )

    assert response.status_code == 200
    assert response.data == b"PK secret pack"
    assert "\r" not in response.headers["Content-Disposition"]
    assert "\n" not in response.headers["Content-Disposition"]
    assert "Set-Cookie" not in response.headers
    assert "/" not in response.headers["Content-Disposition"].split(";")[1]


def test_pack_of_other_portals_university_is_404(client, mirror, portal_server):  # noqa: F811
    other = install_portal(portal_server, member_id="university-owner")
    foreign = University(portal_id=other.id, name="Foreign University")
    db.session.add(foreign)
    db.session.commit()

    response = client.post(
        f"/analytics/universities/{foreign.id}/reports", headers=headers(mirror)
    )

    assert response.status_code == 404
    assert db.session.execute(db.select(ReportRun)).first() is None


@pytest.mark.parametrize("file_format", ["docx", "../pdf", "PDF", "x" * 5000])
def test_pack_with_bad_format_is_400(client, mirror, file_format):  # noqa: F811
    university = university_of(mirror)

    response = client.post(
        f"/analytics/universities/{university.id}/reports",
        data={"format": file_format},
        headers=headers(mirror),
    )

    assert response.status_code == 400
    assert db.session.execute(db.select(ReportRun)).first() is None


def test_pack_request_rejects_non_admin(client, mirror):  # noqa: F811
    university = university_of(mirror)

    response = client.post(
        f"/analytics/universities/{university.id}/reports", headers=non_admin(mirror)
    )

    assert response.status_code == 403
