"""Outbound intents queued outside the sync: universities, erasure, re-routing."""

from datetime import timedelta

import pytest

from b24app.extensions import db
from b24app.program.models import (
    Application,
    CrmOutbox,
    OutboxKind,
    OutboxStatus,
    Student,
    University,
)
from b24app.program.personal_data.erase import erase_student
from b24app.sync.fullsync import start_full_sync
from b24app.sync.models import CrmRecord
from b24app.sync.outbound import deliver_outbox
from b24app.tenancy.models import utcnow

from .support import populate, run_jobs


@pytest.fixture
def synced(app, sync_portal):
    ids = populate(sync_portal, students=4, applications=3)
    with sync_portal.server.state.lock:
        row = sync_portal.server.state.crm.tables["contact"].rows[ids["student"][0]]
        row["PHONE"] = [
            {"ID": "9001", "VALUE": "+7 900 000-00-01", "VALUE_TYPE": "WORK"}
        ]
    start_full_sync(sync_portal.portal_id, run_now=True)
    return ids


def add_intent(portal_id: int, kind: str, entity: str, local_id: int, payload: dict):
    row = CrmOutbox(
        portal_id=portal_id,
        kind=kind,
        entity_type=entity,
        entity_id=local_id,
        payload=payload,
    )
    db.session.add(row)
    db.session.commit()
    return row


def crm_row(sync_portal, entity: str, bitrix_id: int) -> dict:
    with sync_portal.server.state.lock:
        table = sync_portal.server.state.crm.tables[entity]
        return dict(table.full(table.rows[bitrix_id]))


def companies_with_origin(sync_portal, origin: str) -> list[dict]:
    with sync_portal.server.state.lock:
        rows = sync_portal.server.state.crm.tables["company"].rows.values()
        return [dict(row) for row in rows if row.get("ORIGIN_ID") == origin]


def new_university(portal_id: int) -> University:
    university = University(portal_id=portal_id, name="Volga Tech", city="Kazan")
    db.session.add(university)
    db.session.commit()
    return university


def test_university_company_created(app, sync_portal, synced):
    portal_id = sync_portal.portal_id
    university = new_university(portal_id)
    row = add_intent(
        portal_id,
        "create_university_company",
        "university",
        university.id,
        {"university_id": university.id, "company_type_id": None},
    )

    assert deliver_outbox(portal_id) == 1
    sync_portal.wait_events()
    run_jobs(app)

    db.session.refresh(row)
    db.session.refresh(university)
    companies = companies_with_origin(sync_portal, f"university-{university.id}")
    assert row.status == OutboxStatus.SENT
    assert len(companies) == 1
    assert companies[0]["COMPANY_TYPE"] == sync_portal.university_type
    assert companies[0]["TITLE"] == "Volga Tech"
    assert university.bitrix_id == int(companies[0]["ID"])
    assert university.city == "Kazan"
    names = db.session.execute(db.select(University.name)).scalars().all()
    assert names.count("Volga Tech") == 1


def test_university_retry_finds_company(app, sync_portal, synced):
    portal_id = sync_portal.portal_id
    university = new_university(portal_id)
    # An earlier attempt created the company, then timed out.
    existing = sync_portal.add(
        "company",
        {
            "TITLE": "Volga Tech",
            "COMPANY_TYPE": sync_portal.university_type,
            "ORIGINATOR_ID": "b24app",
            "ORIGIN_ID": f"university-{university.id}",
        },
    )
    row = add_intent(
        portal_id,
        "create_university_company",
        "university",
        university.id,
        {"university_id": university.id},
    )
    row.status = "sending"
    row.attempts = 1
    row.sent_at = utcnow() - timedelta(minutes=10)
    db.session.commit()

    deliver_outbox(portal_id)

    db.session.refresh(university)
    assert university.bitrix_id == existing
    assert len(companies_with_origin(sync_portal, f"university-{university.id}")) == 1


def test_unknown_kind_fails_and_moves_on(app, sync_portal, synced):
    portal_id = sync_portal.portal_id
    university = new_university(portal_id)
    unknown = add_intent(portal_id, "send_postcard", "student", 1, {})
    known = add_intent(
        portal_id,
        "create_university_company",
        "university",
        university.id,
        {"university_id": university.id},
    )

    assert deliver_outbox(portal_id) == 1

    db.session.refresh(unknown)
    db.session.refresh(known)
    assert unknown.status == OutboxStatus.FAILED
    assert "unknown outbox kind 'send_postcard'" in unknown.last_error
    assert known.status == OutboxStatus.SENT


def test_anonymise_contact_clears_crm(app, sync_portal, synced):
    portal_id = sync_portal.portal_id
    contact_id = synced["student"][0]
    student = db.session.execute(
        db.select(Student).where(Student.bitrix_id == contact_id)
    ).scalar_one()
    result = erase_student(portal_id, student.id, crm=True)
    assert result.crm_queued

    assert deliver_outbox(portal_id) == 1
    sync_portal.wait_events()
    run_jobs(app)

    contact = crm_row(sync_portal, "contact", contact_id)
    row = db.session.execute(db.select(CrmOutbox)).scalar_one()
    assert row.status == OutboxStatus.SENT
    assert contact["NAME"] == student.first_name
    assert not contact.get("LAST_NAME")
    assert not contact.get("EMAIL")
    assert not contact.get("PHONE")
    assert not contact.get(sync_portal.field("student_number"))
    ledger = db.session.execute(
        db.select(CrmRecord).where(
            CrmRecord.entity_type == "contact", CrmRecord.bitrix_id == contact_id
        )
    ).scalar_one()
    assert ledger.written_hash == ledger.content_hash
    db.session.refresh(student)
    assert student.last_name == ""
    assert student.email is None


def test_erased_student_ignores_crm_edits(app, sync_portal, synced):
    portal_id = sync_portal.portal_id
    contact_id = synced["student"][1]
    student = db.session.execute(
        db.select(Student).where(Student.bitrix_id == contact_id)
    ).scalar_one()
    erase_student(portal_id, student.id)
    placeholder = student.first_name

    sync_portal.edit(
        "contact",
        contact_id,
        {
            "NAME": "Restored",
            "EMAIL": [{"VALUE": "restored@uni.example.edu", "VALUE_TYPE": "WORK"}],
        },
    )
    sync_portal.wait_events()
    run_jobs(app)

    db.session.refresh(student)
    assert student.first_name == placeholder
    assert student.email is None
    assert student.email_normalized is None


def test_reroute_sends_assignee(app, sync_portal, synced):
    portal_id = sync_portal.portal_id
    application = db.session.execute(
        db.select(Application).where(Application.bitrix_id == synced["application"][0])
    ).scalar_one()
    add_intent(
        portal_id,
        OutboxKind.UPDATE_APPLICATION_DEAL,
        "application",
        application.id,
        {
            "application_id": application.id,
            "stage": application.stage,
            "assigned_user_id": 3,
        },
    )

    assert deliver_outbox(portal_id) == 1

    deal = crm_row(sync_portal, "deal", application.bitrix_id)
    db.session.refresh(application)
    assert int(deal["ASSIGNED_BY_ID"]) == 3
    assert application.assigned_user_id == 3


def test_university_comment_uses_company(app, sync_portal, synced):
    portal_id = sync_portal.portal_id
    university = db.session.execute(
        db.select(University).where(University.bitrix_id == synced["university"][0])
    ).scalar_one()
    # The payload's company id is stale; the handler reads the university's.
    add_intent(
        portal_id,
        OutboxKind.ADD_TIMELINE_COMMENT,
        "university",
        university.id,
        {
            "fields": {
                "ENTITY_TYPE": "company",
                "ENTITY_ID": 999999,
                "COMMENT": "Summary: report attached",
            }
        },
    )

    assert deliver_outbox(portal_id) == 1

    with sync_portal.server.state.lock:
        comments = list(sync_portal.server.state.crm.timeline.values())
    assert [
        (str(c["ENTITY_TYPE"]).lower(), int(c["ENTITY_ID"]), c["COMMENT"])
        for c in comments
    ] == [("company", university.bitrix_id, "Summary: report attached")]
