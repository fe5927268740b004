"""A student the app writes to the CRM keeps its university after the echo.

The mirror reads a student's university from the contact's COMPANY_ID, so the
contact the app creates must carry the university's company, or the CRM event
that follows unlinks the student.
"""

from b24app.extensions import db
from b24app.program.models import CrmOutbox, Student, University
from b24app.sync.fullsync import start_full_sync
from b24app.sync.outbound import deliver_outbox

from .support import populate, run_jobs


def test_written_student_keeps_university(app, sync_portal):
    ids = populate(sync_portal, students=2, applications=0)
    start_full_sync(sync_portal.portal_id, run_now=True)
    portal_id = sync_portal.portal_id
    university = db.session.execute(
        db.select(University).where(
            University.portal_id == portal_id,
            University.bitrix_id == ids["university"][0],
        )
    ).scalar_one()
    student = Student(
        portal_id=portal_id,
        university_id=university.id,
        first_name="Tess",
        last_name="Quillon",
        email="tess.quillon@example.org",
        student_number="AD-1001",
    )
    db.session.add(student)
    db.session.flush()
    db.session.add(
        CrmOutbox(
            portal_id=portal_id,
            kind="upsert_contact",
            entity_type="student",
            entity_id=student.id,
            payload={"student_id": student.id},
        )
    )
    db.session.commit()

    assert deliver_outbox(portal_id) == 1
    sync_portal.wait_events()
    run_jobs(app)

    db.session.refresh(student)
    with sync_portal.server.state.lock:
        contact = sync_portal.server.state.crm.tables["contact"].rows[student.bitrix_id]
        company_id = contact.get("COMPANY_ID")
    assert student.university_id == university.id
    assert str(company_id) == str(university.bitrix_id)


def test_student_of_new_university_linked_later(app, sync_portal):
    populate(sync_portal, students=1, applications=0)
    start_full_sync(sync_portal.portal_id, run_now=True)
    portal_id = sync_portal.portal_id
    university = University(portal_id=portal_id, name="Volga Tech", city="Kazan")
    db.session.add(university)
    db.session.flush()
    student = Student(
        portal_id=portal_id,
        university_id=university.id,
        first_name="Oren",
        last_name="Vasko",
        email="oren.vasko@example.org",
    )
    db.session.add(student)
    db.session.flush()
    contact_intent = CrmOutbox(
        portal_id=portal_id,
        kind="upsert_contact",
        entity_type="student",
        entity_id=student.id,
        payload={"student_id": student.id},
    )
    db.session.add(contact_intent)
    db.session.commit()

    # The contact goes first, while the university has no company.
    assert deliver_outbox(portal_id) == 1
    sync_portal.wait_events()
    run_jobs(app)
    db.session.refresh(student)
    assert student.bitrix_id is not None
    assert student.university_id == university.id

    db.session.add(
        CrmOutbox(
            portal_id=portal_id,
            kind="create_university_company",
            entity_type="university",
            entity_id=university.id,
            payload={"university_id": university.id},
        )
    )
    db.session.commit()

    # The company, then the contact's link to it queued by that delivery.
    assert deliver_outbox(portal_id) == 2
    sync_portal.wait_events()
    run_jobs(app)
    db.session.refresh(student)
    db.session.refresh(university)
    with sync_portal.server.state.lock:
        contact = sync_portal.server.state.crm.tables["contact"].rows[student.bitrix_id]
        company_id = contact.get("COMPANY_ID")
    assert university.bitrix_id is not None
    assert str(company_id) == str(university.bitrix_id)
    assert student.university_id == university.id
