"""Outbound CRM writes: no duplicates after timeouts, ids stored, echoes skipped."""

import time
from datetime import timedelta

import pytest

from b24app.bitrix import WriteTimeoutError
from b24app.extensions import db
from b24app.program.models import (
    Application,
    CrmOutbox,
    Employer,
    Internship,
    OutboxKind,
    OutboxStatus,
    Student,
)
from b24app.sync.fullsync import start_full_sync
from b24app.sync.models import CrmRecord
from b24app.sync.outbound import deliver_outbox
from b24app.tenancy.models import utcnow

from .support import mirror_differences, populate, run_jobs


def local_application(sync_portal, ids) -> Application:
    """A student who applied through the app: local rows and outbox intents."""
    portal_id = sync_portal.portal_id
    internship = db.session.execute(
        db.select(Internship).where(Internship.bitrix_id == ids["internship"][0])
    ).scalar_one()
    student = Student(
        portal_id=portal_id,
        first_name="Grace",
        last_name="Generated",
        email="grace@uni.example.edu",
        email_normalized="grace@uni.example.edu",
        student_number="G-1",
        course=2,
    )
    db.session.add(student)
    db.session.flush()

    application = Application(
        portal_id=portal_id,
        student_id=student.id,
        internship_id=internship.id,
        employer_id=internship.employer_id,
        stage="new",
    )
    db.session.add(application)
    db.session.flush()

    for kind, entity, local_id in (
        (OutboxKind.UPSERT_CONTACT, "student", student.id),
        (OutboxKind.CREATE_APPLICATION_DEAL, "application", application.id),
        (OutboxKind.ADD_TIMELINE_COMMENT, "application", application.id),
    ):
        db.session.add(
            CrmOutbox(
                portal_id=portal_id,
                kind=kind,
                entity_type=entity,
                entity_id=local_id,
                payload={
                    "student_id": student.id,
                    "application_id": application.id,
                    "text": "Routed by rule 1",
                },
            )
        )
    db.session.commit()
    return application


def crm_count(sync_portal, entity: str, origin: str) -> int:
    with sync_portal.server.state.lock:
        rows = sync_portal.server.state.crm.tables[entity].rows.values()
        return sum(1 for row in rows if row.get("ORIGIN_ID") == origin)


@pytest.fixture
def synced(app, sync_portal):
    ids = populate(sync_portal, students=5, applications=3)
    start_full_sync(sync_portal.portal_id, run_now=True)
    assert db.session.execute(db.select(Employer)).scalars().all()
    return ids


def test_intents_create_entities_once(app, sync_portal, synced):
    application = local_application(sync_portal, synced)

    sent = deliver_outbox(sync_portal.portal_id)
    sync_portal.wait_events()
    run_jobs(app)

    db.session.refresh(application)
    statuses = db.session.execute(db.select(CrmOutbox.status)).scalars().all()
    assert sent == 3
    assert statuses == [OutboxStatus.SENT] * 3
    assert application.bitrix_id is not None
    assert crm_count(sync_portal, "deal", f"application-{application.id}") == 1
    assert crm_count(sync_portal, "contact", f"student-{application.student_id}") == 1
    assert db.session.execute(db.select(db.func.count(Student.id))).scalar_one() == 6
    written = db.session.execute(
        db.select(CrmRecord).where(
            CrmRecord.entity_type == "deal",
            CrmRecord.bitrix_id == application.bitrix_id,
        )
    ).scalar_one()
    assert written.written_hash == written.content_hash
    assert mirror_differences(sync_portal) == []


def test_timeout_reconciles_instead_of_adding_again(app, sync_portal, synced):
    application = local_application(sync_portal, synced)
    app.config["B24_HTTP_TIMEOUT"] = 0.5
    app.extensions.pop("b24app.clients", None)
    # The portal stores the contact but responds after the client gave up.
    sync_portal.admin(
        "POST",
        "faults",
        {"kind": "latency", "method": "batch", "seconds": 1.5, "times": 1},
    )

    with pytest.raises(WriteTimeoutError):
        deliver_outbox(sync_portal.portal_id)
    row = (
        db.session.execute(db.select(CrmOutbox).order_by(CrmOutbox.id))
        .scalars()
        .first()
    )
    assert row.status == "sending"
    # The retry must find the contact the slow request stored, so it waits
    # until the emulator has finished that request.
    origin = f"student-{application.student_id}"
    deadline = time.monotonic() + 10
    while crm_count(sync_portal, "contact", origin) == 0:
        assert time.monotonic() < deadline, "the slow batch never stored the contact"
        time.sleep(0.05)

    # The crashed attempt is picked up again once it is old enough.
    row.sent_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    app.config["B24_HTTP_TIMEOUT"] = 30
    app.extensions.pop("b24app.clients", None)
    deliver_outbox(sync_portal.portal_id)

    assert crm_count(sync_portal, "contact", origin) == 1
    db.session.refresh(application)
    assert application.bitrix_id is not None
    assert crm_count(sync_portal, "deal", f"application-{application.id}") == 1
