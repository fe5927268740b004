"""Reconciliation: delta sync by DATE_MODIFY, offline events, Redis outages."""

from datetime import timedelta

from redis import Redis

from b24app.events.models import EventInbox, InboxStatus
from b24app.events.sweeper import sweep_inbox
from b24app.extensions import db
from b24app.jobs import get_jobs
from b24app.program.models import Application, Student
from b24app.sync.client import sync_client
from b24app.sync.fullsync import start_full_sync
from b24app.sync.models import SyncState
from b24app.sync.reconcile import delta_sync, read_offline_events
from b24app.tenancy.models import Portal

from .support import mirror_differences, populate, run_jobs


def edit_silently(sync_portal, entity: str, row_id: int, fields: dict) -> None:
    """Change the CRM without any event, as a lost delivery would."""
    state = sync_portal.server.state
    with state.lock:
        state.crm.update(entity, row_id, fields, 1)


def test_delta_sync_catches_missed_changes(app, sync_portal):
    ids = populate(sync_portal, students=30, applications=20)
    start_full_sync(sync_portal.portal_id, run_now=True)
    edit_silently(sync_portal, "deal", ids["application"][0], {"TITLE": "Changed"})
    edit_silently(sync_portal, "contact", ids["student"][3], {"NAME": "Renamed"})
    with sync_portal.server.state.lock:
        new_student = sync_portal.server.state.crm.add("contact", {"NAME": "New"}, 1)

    counts = delta_sync(sync_portal.portal_id)

    assert counts["contact"] >= 2
    assert new_student
    assert mirror_differences(sync_portal) == []


def test_delta_sync_skips_one_bad_record(app, sync_portal, poisoned_student_rows):
    ids = populate(sync_portal, students=30, applications=0)
    start_full_sync(sync_portal.portal_id, run_now=True)
    edit_silently(sync_portal, "contact", ids["student"][3], {"NAME": "Poisoned"})
    edit_silently(sync_portal, "contact", ids["student"][4], {"NAME": "Renamed"})

    counts = delta_sync(sync_portal.portal_id)

    assert counts["contact"] >= 1
    names = {
        student.bitrix_id: student.first_name
        for student in db.session.execute(db.select(Student)).scalars()
    }
    assert names[ids["student"][4]] == "Renamed"
    assert names[ids["student"][3]] == "Student3"


def test_offline_events_applied_and_cleared(app, sync_portal):
    ids = populate(sync_portal, students=20, applications=10)
    start_full_sync(sync_portal.portal_id, run_now=True)
    portal = db.session.get(Portal, sync_portal.portal_id)
    client, _ = sync_client(portal)
    for event in ("ONCRMDEALUPDATE", "ONCRMDEALDELETE"):
        client.call("event.bind", {"event": event, "event_type": "offline"})

    sync_portal.edit(
        "deal", ids["application"][2], {"STAGE_ID": sync_portal.stage("hired")}
    )
    sync_portal.remove("deal", ids["application"][3])
    sync_portal.wait_events()
    # The online deliveries are lost, so only the offline queue has the changes.
    db.session.execute(db.delete(EventInbox))
    db.session.commit()

    result = read_offline_events(sync_portal.portal_id)

    state = db.session.execute(db.select(SyncState)).scalar_one()
    assert result == {"offline": 2}
    assert state.offline_events == "available"
    assert sync_portal.server.state.events.offline == []
    hired = db.session.execute(
        db.select(Application).where(Application.bitrix_id == ids["application"][2])
    ).scalar_one()
    assert hired.stage == "hired"
    assert mirror_differences(sync_portal) == []


def test_events_kept_while_redis_is_down(app, sync_portal):
    ids = populate(sync_portal, students=10, applications=5)
    start_full_sync(sync_portal.portal_id, run_now=True)
    jobs = get_jobs(app)
    working_redis = jobs.redis
    # A port nothing listens on: every enqueue fails as with Redis stopped.
    jobs.redis = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    try:
        for deal_id in ids["application"]:
            sync_portal.edit("deal", deal_id, {"TITLE": f"During outage {deal_id}"})
        sync_portal.wait_events()
    finally:
        jobs.redis = working_redis

    pending = db.session.execute(
        db.select(db.func.count()).where(EventInbox.status == InboxStatus.PENDING)
    ).scalar_one()
    assert pending == len(ids["application"])

    assert sweep_inbox(min_age=timedelta(0)) == pending
    run_jobs(app)

    assert mirror_differences(sync_portal) == []
