"""Personal-data operations: export, erasure and retention on real PostgreSQL."""

import json
import os
import stat
from datetime import timedelta

import pytest
import sqlalchemy as sa
from personal_data_seed import (
    backdate,
    mentions,
    row_counts,
    seed_person,
    setup_program,
)

from b24app.cli import main
from b24app.extensions import db
from b24app.ops.periodic import PERIODIC_JOBS
from b24app.program.models import Application, CrmOutbox, Student
from b24app.program.personal_data.erase import ANONYMISE_CONTACT, erase_student
from b24app.program.personal_data.models import RetentionPolicy, StudentErasure
from b24app.program.personal_data.retention import set_policy
from b24app.public.models import Submission
from b24app.tenancy.models import utcnow


@pytest.fixture
def world(make_portal):
    """Two people in one portal and a third in another portal."""
    first_portal, second_portal = make_portal(1), make_portal(2)
    first_program = setup_program(first_portal.id)
    second_program = setup_program(second_portal.id)
    return {
        "program": first_program,
        "other_program": second_program,
        "alice": seed_person(first_program, 1),
        "boris": seed_person(first_program, 2),
        "vera": seed_person(second_program, 3),
    }


def export(runner, *args):
    result = runner.invoke(main, args=["ops", "export-student", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def erase(runner, person, *flags):
    args = ["ops", "erase-student", "--portal", str(person.portal_id)]
    args += ["--student", str(person.student_id), "--yes", *flags]
    return runner.invoke(main, args=args)


def outbox_intents(person):
    statement = sa.select(CrmOutbox).where(
        CrmOutbox.portal_id == person.portal_id,
        CrmOutbox.kind == ANONYMISE_CONTACT,
        CrmOutbox.entity_id == person.student_id,
    )
    return list(db.session.execute(statement).scalars())


def is_erased(person) -> bool:
    return db.session.get(StudentErasure, person.student_id) is not None


# Export


def test_export_contains_every_table(runner, world):
    alice = world["alice"]

    document = export(
        runner, "--portal", str(alice.portal_id), "--student", str(alice.student_id)
    )

    assert document["student"]["email"] == alice.email
    assert document["student"]["phone"] == alice.phone
    assert document["consent"]["text"].startswith("Я согласен")
    assert document["consent"]["given_at"] is not None
    assert [row["id"] for row in document["applications"]] == [alice.application_id]
    assert document["applications"][0]["stage_history"][0]["to_stage"] == "new"
    assert len(document["application_attempts"]) == 1
    assert len(document["routing_decisions"]) == 1
    assert document["submissions"][0]["payload"]["email"] == alice.email
    assert document["sent_mails"][0]["recipient"] == alice.email
    assert {row["kind"] for row in document["crm_outbox"]} >= {"upsert_contact"}
    assert document["crm_records"][0]["data"]["email"] == alice.email
    assert len(document["webhook_deliveries"]) == 1
    assert document["erasure"] is None
    others = document["other_mentions"]
    assert set(others) == {
        "event_inbox",
        "api_idempotency_record",
        "application_attempt",
    }
    assert others["application_attempt"][0]["reason_code"] == "invalid_request"
    assert others["event_inbox"][0]["entity_id"] == "701"


def test_export_excludes_other_people(runner, world):
    alice, boris, vera = world["alice"], world["boris"], world["vera"]

    document = export(
        runner, "--portal", str(alice.portal_id), "--student", str(alice.student_id)
    )

    text = json.dumps(document, ensure_ascii=False)
    for other in (boris, vera):
        assert other.email not in text
        assert other.last_name not in text
        assert other.student_number not in text
    sections = [value for value in document.values() if isinstance(value, list)]
    sections += list(document["other_mentions"].values())
    portal_ids = {row["portal_id"] for rows in sections for row in rows}
    assert portal_ids == {alice.portal_id}


def test_export_by_email_to_file(runner, world, tmp_path):
    alice = world["alice"]
    output = tmp_path / "alice.json"

    result = runner.invoke(
        main,
        args=[
            "ops",
            "export-student",
            "--portal",
            str(alice.portal_id),
            "--email",
            alice.email.upper(),
            "--output",
            str(output),
        ],
    )

    assert result.exit_code == 0, result.output
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["student"]["id"] == alice.student_id
    assert stat.S_IMODE(os.stat(output).st_mode) == 0o600


def test_export_of_other_portal_student_fails(runner, world):
    alice, vera = world["alice"], world["vera"]

    result = runner.invoke(
        main,
        args=[
            "ops",
            "export-student",
            "--portal",
            str(alice.portal_id),
            "--student",
            str(vera.student_id),
        ],
    )

    assert result.exit_code != 0
    assert "no student with id" in result.output


def test_export_needs_one_selector(runner, world):
    alice = world["alice"]

    result = runner.invoke(
        main, args=["ops", "export-student", "--portal", str(alice.portal_id)]
    )

    assert result.exit_code != 0
    assert "exactly one of --student and --email" in result.output


# Erasure


def test_erase_removes_strings_everywhere(runner, world):
    alice = world["alice"]
    assert mentions(alice.identifying_strings())

    result = erase(runner, alice)

    assert result.exit_code == 0, result.output
    assert mentions(alice.identifying_strings()) == []


def test_erase_keeps_other_people(runner, world):
    alice, boris, vera = world["alice"], world["boris"], world["vera"]
    before = {p.number: mentions([p.email, p.full_name]) for p in (boris, vera)}

    erase(runner, alice)

    for person in (boris, vera):
        assert mentions([person.email, person.full_name]) == before[person.number]
        student = db.session.get(Student, person.student_id)
        assert student.first_name == person.first_name


def test_erase_anonymises_student_row(runner, world):
    alice = world["alice"]

    erase(runner, alice)

    student = db.session.get(Student, alice.student_id)
    assert student.first_name == "Удалено"
    assert student.last_name == ""
    assert student.email is None
    assert student.email_normalized is None
    assert student.phone is None
    assert student.student_number is None
    assert student.skills == []
    assert student.bitrix_id == 501
    assert is_erased(alice)


def test_erase_keeps_application_counts(runner, world):
    alice = world["alice"]
    before = row_counts(alice.portal_id)

    erase(runner, alice)

    assert row_counts(alice.portal_id) == before
    application = db.session.get(Application, alice.application_id)
    assert application.stage == "new"
    assert application.student_id == alice.student_id


def test_erase_twice_changes_nothing(runner, world):
    alice = world["alice"]
    erase(runner, alice)
    db.session.expire_all()
    submission = db.session.execute(
        sa.select(Submission).where(Submission.application_id == alice.application_id)
    ).scalar_one()
    payload_after_first = dict(submission.payload)
    erased_at = db.session.get(StudentErasure, alice.student_id).erased_at

    result = erase(runner, alice)

    assert result.exit_code == 0, result.output
    assert "already erased" in result.output
    db.session.expire_all()
    assert submission.payload == payload_after_first
    assert db.session.get(StudentErasure, alice.student_id).erased_at == erased_at
    assert db.session.get(Student, alice.student_id).first_name == "Удалено"


def test_erase_with_crm_queues_intent_once(runner, world):
    alice = world["alice"]

    first = erase(runner, alice, "--crm")
    second = erase(runner, alice, "--crm")

    assert first.exit_code == 0, first.output
    assert "CRM contact anonymisation queued" in first.output
    assert "CRM contact anonymisation queued" not in second.output
    intents = outbox_intents(alice)
    assert len(intents) == 1
    assert intents[0].payload == {
        "student_id": alice.student_id,
        "bitrix_id": 501,
        "name": "Удалено",
    }
    assert intents[0].status == "pending"


def test_erase_without_crm_queues_nothing(runner, world):
    alice = world["alice"]

    erase(runner, alice, "--no-crm")

    assert outbox_intents(alice) == []


def test_erase_later_with_crm_queues_intent(world):
    alice = world["alice"]
    erase_student(alice.portal_id, alice.student_id, crm=False)

    result = erase_student(alice.portal_id, alice.student_id, crm=True)

    assert result.already_erased
    assert result.crm_queued
    assert len(outbox_intents(alice)) == 1


def test_erase_needs_confirmation(runner, world):
    alice = world["alice"]
    args = ["ops", "erase-student", "--portal", str(alice.portal_id)]

    result = runner.invoke(main, args=[*args, "--student", str(alice.student_id)])

    assert result.exit_code != 0
    assert not is_erased(alice)


def test_erase_of_other_portal_student_fails(runner, world):
    alice, vera = world["alice"], world["vera"]
    args = ["ops", "erase-student", "--portal", str(alice.portal_id)]

    result = runner.invoke(
        main, args=[*args, "--student", str(vera.student_id), "--yes"]
    )

    assert result.exit_code != 0
    assert "not found" in result.output
    assert not is_erased(vera)


def test_erase_uses_portal_language(runner, world):
    vera = world["vera"]
    db.session.execute(
        sa.text("UPDATE portal SET lang = 'en' WHERE id = :id"), {"id": vera.portal_id}
    )
    db.session.commit()

    erase(runner, vera)

    assert db.session.get(Student, vera.student_id).first_name == "Erased"


# Retention


@pytest.fixture
def aged_world(world):
    """Alice and Vera inactive for two years, Boris active; retention on in one."""
    two_years_ago = utcnow() - timedelta(days=730)
    backdate(world["alice"], two_years_ago)
    backdate(world["vera"], two_years_ago)
    set_policy(world["alice"].portal_id, 365)
    return world


def test_retention_anonymises_inactive_only(runner, aged_world):
    alice, boris, vera = aged_world["alice"], aged_world["boris"], aged_world["vera"]

    result = runner.invoke(main, args=["ops", "retention", "run"])

    assert result.exit_code == 0, result.output
    assert "anonymised 1 student(s)" in result.output
    assert is_erased(alice)
    assert not is_erased(boris)
    # Vera is as old, but her portal has no retention policy.
    assert not is_erased(vera)
    assert mentions([alice.email, alice.full_name]) == []
    erasure = db.session.get(StudentErasure, alice.student_id)
    assert erasure.reason == "retention"


def test_retention_keeps_recent_application_change(runner, aged_world):
    alice = aged_world["alice"]
    db.session.execute(
        sa.update(Application)
        .where(Application.id == alice.application_id)
        .values(updated_at=utcnow() - timedelta(days=30))
    )
    db.session.commit()

    runner.invoke(main, args=["ops", "retention", "run"])

    assert not is_erased(alice)


def test_retention_keeps_recent_submission(runner, aged_world):
    alice = aged_world["alice"]
    db.session.execute(
        sa.update(Submission)
        .where(Submission.email == alice.email)
        .values(created_at=utcnow() - timedelta(days=3))
    )
    db.session.commit()

    runner.invoke(main, args=["ops", "retention", "run"])

    assert not is_erased(alice)


def test_retention_dry_run_changes_nothing(runner, aged_world):
    alice = aged_world["alice"]
    portal = str(alice.portal_id)

    result = runner.invoke(
        main, args=["ops", "retention", "run", "--portal", portal, "--dry-run"]
    )

    assert result.exit_code == 0, result.output
    assert "would anonymise 1 student(s)" in result.output
    assert str(alice.student_id) in result.output
    assert not is_erased(alice)
    db.session.expire_all()
    assert db.session.get(Student, alice.student_id).email == alice.email
    assert mentions([alice.email])


def test_retention_off_portal_reports_off(runner, aged_world):
    vera = aged_world["vera"]

    result = runner.invoke(
        main, args=["ops", "retention", "run", "--portal", str(vera.portal_id)]
    )

    assert result.exit_code == 0, result.output
    assert "retention is off" in result.output
    assert not is_erased(vera)


def test_retention_crm_flag_queues_intent(runner, aged_world):
    alice = aged_world["alice"]
    set_policy(alice.portal_id, 365, anonymise_in_crm=True)

    runner.invoke(main, args=["ops", "retention", "run"])

    assert len(outbox_intents(alice)) == 1


def test_retention_set_and_off_commands(runner, world):
    portal = str(world["alice"].portal_id)

    on = runner.invoke(
        main,
        args=["ops", "retention", "set", "--portal", portal, "--days", "90", "--crm"],
    )
    policy = db.session.execute(sa.select(RetentionPolicy)).scalar_one()
    assert on.exit_code == 0, on.output
    assert policy.retention_days == 90
    assert policy.anonymise_in_crm

    off = runner.invoke(main, args=["ops", "retention", "off", "--portal", portal])
    db.session.expire_all()
    assert off.exit_code == 0, off.output
    assert policy.retention_days is None
    assert not policy.enabled


@pytest.mark.parametrize("days", ["0", "-5", "many"])
def test_retention_set_rejects_bad_days(runner, world, days):
    portal = str(world["alice"].portal_id)

    result = runner.invoke(
        main, args=["ops", "retention", "set", "--portal", portal, "--days", days]
    )

    assert result.exit_code != 0
    assert db.session.execute(sa.select(RetentionPolicy)).first() is None


def test_retention_job_runs_daily(app):
    job = PERIODIC_JOBS["personal-data-retention"]

    assert job.interval_seconds == 24 * 60 * 60
    assert job.func_path == "b24app.program.personal_data.retention.run_retention_all"
