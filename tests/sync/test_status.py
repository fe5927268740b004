"""Sync status, failures with their reason, and retrying failed jobs."""

import json

from b24app.events.models import EventInbox, InboxStatus
from b24app.events.processing import process_inbox
from b24app.extensions import db
from b24app.jobs import enqueue
from b24app.program.models import Application
from b24app.sync.cli import sync_group
from b24app.sync.fullsync import start_full_sync

from .support import mirror_differences, populate, run_jobs


def test_server_error_keeps_data_and_retries(app, runner, sync_portal):
    ids = populate(sync_portal, students=10, applications=5)
    start_full_sync(sync_portal.portal_id, run_now=True)
    deal_id = ids["application"][0]
    before = db.session.execute(
        db.select(Application.stage).where(Application.bitrix_id == deal_id)
    ).scalar_one()
    # Every batch returns HTTP 500 until the fault is cleared.
    sync_portal.admin(
        "POST", "faults", {"kind": "error", "status": 500, "method": "batch"}
    )
    sync_portal.edit("deal", deal_id, {"STAGE_ID": sync_portal.stage("rejected")})
    sync_portal.wait_events()
    db.session.execute(
        db.delete(EventInbox).where(EventInbox.entity_id != str(deal_id))
    )
    db.session.commit()
    enqueue(
        process_inbox,
        sync_portal.portal_id,
        [],
        queue="events",
        portal_id=sync_portal.portal_id,
    )
    run_jobs(app)

    pending = (
        db.session.execute(
            db.select(EventInbox.status).where(EventInbox.entity_id == str(deal_id))
        )
        .scalars()
        .all()
    )
    status = json.loads(
        runner.invoke(
            sync_group, ["status", "--portal", str(sync_portal.portal_id)]
        ).output
    )
    assert InboxStatus.DONE not in pending
    assert (
        db.session.execute(
            db.select(Application.stage).where(Application.bitrix_id == deal_id)
        ).scalar_one()
        == before
    )
    assert status["inbox_backlog"] >= 1
    assert status["failed_jobs"], status
    assert "ServerError" in status["failed_jobs"][0]["reason"]
    assert "ServerError" in status["last_error"] or status["last_error"]

    sync_portal.admin("DELETE", "faults")
    retried = runner.invoke(sync_group, ["retry-failed"])
    run_jobs(app)

    assert "requeued" in retried.output
    assert (
        db.session.execute(
            db.select(Application.stage).where(Application.bitrix_id == deal_id)
        ).scalar_one()
        == "rejected"
    )
    assert mirror_differences(sync_portal) == []


def test_status_reports_full_sync(app, runner, sync_portal):
    populate(sync_portal, students=20, applications=10)
    result = runner.invoke(
        sync_group, ["full", "--portal", str(sync_portal.portal_id), "--now"]
    )

    status = json.loads(
        runner.invoke(
            sync_group, ["status", "--portal", str(sync_portal.portal_id)]
        ).output
    )
    assert "succeeded" in result.output
    assert status["last_full_sync_at"] is not None
    assert status["last_run"]["percent"] == 100.0
    assert status["last_run"]["counts"]["contact"] == 20
    assert status["mirror"]["student"] == 20
