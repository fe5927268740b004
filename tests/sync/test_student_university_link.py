"""A student the app writes to the CRM keeps its university after the echo.

The mirror reads a student's university from the contact's COMPANY_ID, so the
contact the app creates must carry the university's company, or the CRM event
that follows unlinks the student.
"""

import pytest

from b24app.extensions import db
from b24app.program.models import CrmOutbox, Student, University
from b24app.sync.fullsync import start_full_sync
from b24app.sync.outbound import deliver_outbox

from .support import populate, run_jobs


@pytest.mark.xfail(
    strict=True,
    reason="_upsert_contact in b24app/sync/outbound.py sends no COMPANY_ID",
)
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
