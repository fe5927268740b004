from datetime import timedelta

import pytest
from sqlalchemy import func, select

from b24app.extensions import db
from b24app.program.identity import IdentityError, StudentData, resolve_student
from b24app.program.models import Student

from .builders import NOW


def resolve(program, **fields):
    match = resolve_student(program.portal_id, StudentData(**fields))
    db.session.commit()
    return match


def student_count(portal_id: int) -> int:
    statement = select(func.count(Student.id)).where(Student.portal_id == portal_id)
    return db.session.execute(statement).scalar_one()


def test_same_person_across_channels(program):
    university = program.university(domains=["uni.example.test"])
    form = resolve(
        program,
        email="Olga.Smirnova@Uni.Example.TEST",
        first_name="Ольга",
        last_name="Смирнова",
        source="form",
        skills=["Питон"],
    )
    api = resolve(
        program,
        email="olga.smirnova@uni.example.test ",
        phone="8 (916) 555-01-02",
        student_number="S-1001",
        university_id=university.id,
        source="api",
        skills=["SQL"],
    )
    imported = resolve(
        program,
        phone="+7 916 555 01 02",
        course=3,
        source="import",
    )

    assert form.created
    assert not api.created
    assert api.matched_by == "email"
    assert imported.matched_by == "phone"
    assert student_count(program.portal_id) == 1
    student = imported.student
    assert student.university_id == university.id
    assert student.student_number == "S-1001"
    assert student.phone_normalized == "79165550102"
    assert student.course == 3
    assert student.skills == ["python", "sql"]
    assert student.first_name == "Ольга"
    assert student.source == "form"


def test_student_number_wins_over_new_email(program):
    university = program.university()
    first = resolve(
        program,
        university_id=university.id,
        student_number="A-7",
        email="old@mail.example.test",
    )
    second = resolve(
        program,
        university_id=university.id,
        student_number="A-7",
        email="New@Mail.example.test",
    )

    assert second.matched_by == "student_number"
    assert second.student.id == first.student.id
    assert second.student.email_normalized == "new@mail.example.test"


def test_same_number_other_university_is_new(program):
    north = program.university("North")
    south = program.university("South")
    resolve(program, university_id=north.id, student_number="100")
    other = resolve(program, university_id=south.id, student_number="100")

    assert other.created
    assert student_count(program.portal_id) == 2


def test_older_data_only_fills_blanks(program):
    resolve(
        program,
        email="ivan@mail.example.test",
        first_name="Иван",
        observed_at=NOW,
    )
    older = resolve(
        program,
        email="ivan@mail.example.test",
        first_name="Ivan",
        programme="Прикладная математика",
        observed_at=NOW - timedelta(days=30),
    )

    assert older.student.first_name == "Иван"
    assert older.student.programme == "Прикладная математика"


def test_newer_data_replaces_values(program):
    resolve(program, email="ivan@mail.example.test", course=2, observed_at=NOW)
    newer = resolve(
        program,
        email="ivan@mail.example.test",
        course=3,
        observed_at=NOW + timedelta(days=1),
    )

    assert newer.student.course == 3


def test_email_of_other_student_is_conflict(program):
    university = program.university()
    resolve(program, email="taken@mail.example.test")
    owner = resolve(program, university_id=university.id, student_number="9")
    match = resolve(
        program,
        university_id=university.id,
        student_number="9",
        email="TAKEN@mail.example.test",
    )

    assert match.student.id == owner.student.id
    assert match.conflicts == ["email"]
    assert match.student.email_normalized is None
    assert student_count(program.portal_id) == 2


def test_university_found_by_email_domain(program):
    university = program.university(domains=["edu.example.test"])
    match = resolve(program, email="kim@cs.edu.example.test")

    assert match.student.university_id == university.id


def test_nothing_to_identify_is_rejected(program):
    with pytest.raises(IdentityError):
        resolve(program, first_name="Без", last_name="Контактов", email="not-an-email")


def test_number_without_university_is_rejected(program):
    with pytest.raises(IdentityError):
        resolve(program, student_number="123")


def test_foreign_university_is_rejected(program, other_program):
    foreign = other_program.university()
    with pytest.raises(IdentityError):
        resolve(program, university_id=foreign.id, student_number="1")


def test_other_portal_student_not_matched(program, other_program):
    theirs = resolve(other_program, email="same@mail.example.test")
    mine = resolve(program, email="same@mail.example.test")

    assert mine.created
    assert mine.student.id != theirs.student.id
    assert mine.student.portal_id == program.portal_id
