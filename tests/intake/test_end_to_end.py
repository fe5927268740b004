"""From the public form to the emulated portal's CRM, over real HTTP.

The portal is installed through the install page (which runs the CRM setup),
the internship is created in the CRM and mirrored by the sync, then a student
applies on the public page. The routing job, the outbox delivery and the mail
job run in a burst worker.
"""

import pytest
import requests
from portals.support import install, run_jobs
from sqlalchemy import select

from b24app.extensions import db
from b24app.program.models import (
    Application,
    CrmMapping,
    Employer,
    Internship,
    Partnership,
    Student,
    University,
)
from b24app.public.pages import ensure_public_page
from b24app.tenancy.scoping import get_scoped

from .conftest import csrf_token


def admin_add(server, entity: str, fields: dict) -> int:
    response = requests.post(
        f"{server.base_url}/_emulator/entities/{entity}",
        json={"fields": fields},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def settle(app, server) -> None:
    """Let the emulator post its events and run every job they queue."""
    for _ in range(3):
        assert server.state.events.wait_idle(20)
        run_jobs(app)


@pytest.fixture
def crm_program(app, live_server, portal_server):
    """An installed portal with a university, an employer and an open internship."""
    portal = install(app, live_server, portal_server)
    mapping = get_scoped(CrmMapping, portal.id)
    fields = mapping.user_fields
    university = admin_add(
        portal_server,
        "company",
        {"TITLE": "Приволжский университет", "COMPANY_TYPE": "UNIVERSITY"},
    )
    employer = admin_add(portal_server, "company", {"TITLE": "Volga Robotics"})
    internship = admin_add(
        portal_server,
        "deal",
        {
            "TITLE": "Embedded C intern",
            "CATEGORY_ID": mapping.internships_category_id,
            "STAGE_ID": mapping.internship_stage_ids["open"],
            "COMPANY_ID": employer,
            "ASSIGNED_BY_ID": 1,
            fields["seats"]: 2,
            fields["city"]: "Самара",
            fields["required_skills"]: ["c", "linux"],
        },
    )
    settle(app, portal_server)
    return portal, {"university": university, "employer": employer, "deal": internship}


def local(model, portal_id: int, bitrix_id: int):
    return db.session.execute(
        select(model).where(model.portal_id == portal_id, model.bitrix_id == bitrix_id)
    ).scalar_one()


def test_form_submission_reaches_crm(app, client, crm_program, portal_server):
    portal, crm_ids = crm_program
    internship = local(Internship, portal.id, crm_ids["deal"])
    university = local(University, portal.id, crm_ids["university"])
    employer = local(Employer, portal.id, crm_ids["employer"])
    partnership = Partnership(
        portal_id=portal.id,
        university_id=university.id,
        employer_id=employer.id,
        seats_total=5,
    )
    db.session.add(partnership)
    db.session.commit()
    slug = ensure_public_page(portal.id).slug

    detail = f"/p/{slug}/internships/{internship.id}"
    form = {
        "csrf_token": csrf_token(client, detail),
        "first_name": "Елена",
        "last_name": "Генерирова",
        "email": "elena.generirova@student.example.test",
        "phone": "+7 927 000-11-22",
        "university": str(university.id),
        "student_number": "PV-2027-001",
        "course": "4",
        "programme": "Программная инженерия",
        "skills": "C, Linux",
        "consent": "y",
    }
    response = client.post(detail + "/apply", data=form)
    assert response.status_code == 303
    settle(app, portal_server)

    application = db.session.execute(select(Application)).scalar_one()
    student = db.session.execute(select(Student)).scalar_one()
    crm = portal_server.state.crm
    mapping = get_scoped(CrmMapping, portal.id)
    deal = crm.tables["deal"].rows[application.bitrix_id]
    contact = crm.tables["contact"].rows[student.bitrix_id]
    comments = [
        entry
        for entry in crm.timeline.values()
        if int(entry["ENTITY_ID"]) == application.bitrix_id
    ]
    db.session.refresh(partnership)

    assert contact["NAME"] == "Елена"
    assert str(deal["CATEGORY_ID"]) == str(mapping.applications_category_id)
    assert deal["STAGE_ID"] == mapping.application_stage_ids["new"]
    assert str(deal["CONTACT_ID"]) == str(student.bitrix_id)
    assert str(deal["ASSIGNED_BY_ID"]) == "1"
    assert deal[mapping.user_fields["internship_deal"]] in (
        internship.bitrix_id,
        str(internship.bitrix_id),
        f"D_{internship.bitrix_id}",
    )
    assert len(comments) == 1
    assert partnership.seats_used == 1
    assert internship.seats == 2
    assert db.session.execute(select(Application.id)).scalars().all() == [
        application.id
    ]
