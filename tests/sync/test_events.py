"""Events from the emulated portal reach the mirror through the inbox and RQ."""

from b24app.events.inbox import enqueue_inbox
from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db
from b24app.program.models import (
    Application,
    ApplicationStageChange,
    Employer,
    Internship,
    Student,
    University,
)
from b24app.sync.models import CrmRecord

from .support import RequestCounter, SyncPortal, mirror_differences, run_jobs


def build_program(sync: SyncPortal) -> dict[str, int]:
    """Create a university, an employer, a student, an internship and an application."""
    ids = {}
    ids["university"] = sync.add(
        "company", {"TITLE": "North Tech", "COMPANY_TYPE": sync.university_type}
    )
    ids["employer"] = sync.add("company", {"TITLE": "Acme Ltd", "INDUSTRY": "IT"})
    ids["student"] = sync.add(
        "contact",
        {
            "NAME": "Ada",
            "LAST_NAME": "Testova",
            "COMPANY_ID": ids["university"],
            "EMAIL": [{"VALUE": "ada@student.example.edu", "VALUE_TYPE": "WORK"}],
            sync.field("student_number"): "S-1",
            sync.field("course"): 3,
        },
    )
    ids["internship"] = sync.add(
        "deal",
        {
            "TITLE": "Backend intern",
            "CATEGORY_ID": sync.internships,
            "STAGE_ID": sync.status("open"),
            "COMPANY_ID": ids["employer"],
            sync.field("seats"): 2,
        },
    )
    ids["application"] = sync.add(
        "deal",
        {
            "TITLE": "Ada -> Backend intern",
            "CATEGORY_ID": sync.applications,
            "STAGE_ID": sync.stage("new"),
            "CONTACT_ID": ids["student"],
            "COMPANY_ID": ids["employer"],
            sync.field("internship_deal"): ids["internship"],
        },
    )
    sync.wait_events()
    return ids


def test_added_entities_reach_mirror(app, sync_portal):
    ids = build_program(sync_portal)
    run_jobs(app)

    student = db.session.execute(db.select(Student)).scalar_one()
    application = db.session.execute(db.select(Application)).scalar_one()
    assert db.session.execute(db.select(University)).scalar_one().name == "North Tech"
    assert db.session.execute(db.select(Employer)).scalar_one().industry == "IT"
    assert student.university_id is not None
    assert student.student_number == "S-1"
    assert application.bitrix_id == ids["application"]
    assert application.stage == "new"
    assert mirror_differences(sync_portal) == []


def test_edited_deal_shows_up(app, sync_portal):
    ids = build_program(sync_portal)
    run_jobs(app)

    sync_portal.edit(
        "deal", ids["application"], {"STAGE_ID": sync_portal.stage("interview")}
    )
    sync_portal.edit("deal", ids["internship"], {"TITLE": "Backend intern (Go)"})
    sync_portal.wait_events()
    run_jobs(app)

    change = db.session.execute(db.select(ApplicationStageChange)).scalar_one()
    assert db.session.execute(db.select(Application)).scalar_one().stage == "interview"
    assert (change.from_stage, change.to_stage) == ("new", "interview")
    assert change.reason == "changed in the CRM"
    assert db.session.execute(db.select(Internship)).scalar_one().title == (
        "Backend intern (Go)"
    )
    assert mirror_differences(sync_portal) == []


def test_deleted_entity_is_tombstoned(app, sync_portal):
    ids = build_program(sync_portal)
    run_jobs(app)

    sync_portal.remove("deal", ids["application"])
    sync_portal.remove("company", ids["university"])
    sync_portal.wait_events()
    run_jobs(app)

    record = db.session.execute(
        db.select(CrmRecord).where(
            CrmRecord.entity_type == "deal", CrmRecord.bitrix_id == ids["application"]
        )
    ).scalar_one()
    assert record.deleted_at is not None
    assert db.session.execute(db.select(Application)).scalar_one_or_none() is None
    assert db.session.execute(db.select(University)).scalar_one().deleted is True
    assert mirror_differences(sync_portal) == []


def test_same_event_twice_and_out_of_order(app, sync_portal):
    ids = build_program(sync_portal)
    sync_portal.edit(
        "deal", ids["application"], {"STAGE_ID": sync_portal.stage("offer")}
    )
    sync_portal.remove("deal", ids["internship"])
    sync_portal.wait_events()
    rows = (
        db.session.execute(db.select(EventInbox).order_by(EventInbox.id))
        .scalars()
        .all()
    )
    # Replay the whole delivery log once more, newest first.
    for row in reversed(rows):
        db.session.add(
            EventInbox(
                portal_id=row.portal_id,
                event=row.event,
                entity_type=row.entity_type,
                entity_id=row.entity_id,
                dedupe_key=row.dedupe_key + ":replay",
                payload=row.payload,
                status=InboxStatus.PENDING,
            )
        )
    db.session.commit()

    run_jobs(app)
    from b24app.events.processing import process_inbox

    process_inbox(sync_portal.portal_id, [])

    internship = db.session.execute(
        db.select(CrmRecord).where(
            CrmRecord.entity_type == "deal", CrmRecord.bitrix_id == ids["internship"]
        )
    ).scalar_one()
    assert internship.deleted_at is not None
    assert db.session.execute(db.select(Application)).scalar_one_or_none() is None
    assert mirror_differences(sync_portal) == []


def test_burst_of_updates_is_coalesced(app, sync_portal):
    # 1,000 deals edited by users. Their events are stored the way the intake
    # stores them, because posting 1,000 events over HTTP is the intake's own
    # test, and they are queued in the sweeper's batches of 100.
    state = sync_portal.server.state
    with state.lock:
        ids = [
            state.crm.add("deal", {"CATEGORY_ID": sync_portal.applications}, 1)
            for _ in range(1000)
        ]
        for deal_id in ids:
            state.crm.update("deal", deal_id, {"TITLE": f"Edited {deal_id}"}, 1)
    rows = [
        EventInbox(
            portal_id=sync_portal.portal_id,
            event="ONCRMDEALUPDATE",
            entity_type="deal",
            entity_id=str(deal_id),
            dedupe_key=f"ONCRMDEALUPDATE:{deal_id}:1767225600:1",
            payload={},
            status=InboxStatus.PENDING,
        )
        for deal_id in ids
    ]
    db.session.add_all(rows)
    db.session.commit()
    inbox_ids = [row.id for row in rows]
    for start in range(0, len(inbox_ids), 100):
        enqueue_inbox(sync_portal.portal_id, inbox_ids[start : start + 100])

    with RequestCounter() as counter:
        run_jobs(app)

    done = db.session.execute(
        db.select(db.func.count()).where(EventInbox.status == InboxStatus.DONE)
    ).scalar_one()
    assert done == 1000
    assert counter.total <= 25, counter.calls[:5]
    assert mirror_differences(sync_portal) == []


def test_deal_moved_between_pipelines(app, sync_portal):
    ids = build_program(sync_portal)
    run_jobs(app)

    sync_portal.edit(
        "deal",
        ids["application"],
        {"CATEGORY_ID": 0, "STAGE_ID": "NEW"},
    )
    sync_portal.wait_events()
    run_jobs(app)

    record = db.session.execute(
        db.select(CrmRecord).where(
            CrmRecord.entity_type == "deal", CrmRecord.bitrix_id == ids["application"]
        )
    ).scalar_one()
    assert record.kind == ""
    assert record.deleted_at is None
    assert db.session.execute(db.select(Application)).scalar_one_or_none() is None
    assert mirror_differences(sync_portal) == []
