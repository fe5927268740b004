"""A second portal's data never takes part in the first portal's routing."""

import pytest

from b24app.extensions import db
from b24app.program.errors import NotFoundError, ProgramError
from b24app.program.models import Application, Student
from b24app.program.routing import route_application
from b24app.program.services.partnerships import create_partnership
from b24app.program.services.rules import create_rule, update_rule

from .builders import apply


def setup_portal(program):
    university = program.university()
    employer = program.employer()
    internship = program.internship(employer, responsible_user_id=None)
    program.partnership(university, employer, seats=5)
    return university, internship


def test_other_portal_rules_and_students_unused(program, other_program):
    university, internship = setup_portal(program)
    other_university, other_internship = setup_portal(other_program)
    create_rule(other_program.portal_id, "Theirs", fixed_user_id=900)
    create_rule(
        other_program.portal_id, "Their default", fixed_user_id=901, is_default=True
    )
    other_program.recruiter(1, active=False)
    theirs = route_application(
        other_program.portal_id,
        apply(
            other_internship, 1, student_fields={"university_id": other_university.id}
        ),
    )
    create_rule(program.portal_id, "Mine", fixed_user_id=1)

    mine = route_application(
        program.portal_id,
        apply(internship, 1, student_fields={"university_id": university.id}),
    )

    assert mine.accepted
    assert mine.assignee_user_id == 1
    assert mine.student_created
    assert mine.student_id != theirs.student_id
    assert db.session.get(Student, mine.student_id).portal_id == program.portal_id
    application = db.session.get(Application, mine.application_id)
    assert application.portal_id == program.portal_id


def test_other_portal_internship_not_found(program, other_program):
    university, _ = setup_portal(program)
    _, other_internship = setup_portal(other_program)

    outcome = route_application(
        program.portal_id,
        apply(other_internship, 1, student_fields={"university_id": university.id}),
    )

    assert outcome.reason_code == "internship_not_found"


def test_general_application_ignores_other_portal(program, other_program):
    university, internship = setup_portal(program)
    internship.status = "draft"
    db.session.commit()
    setup_portal(other_program)

    outcome = route_application(
        program.portal_id,
        apply(None, 1, student_fields={"university_id": university.id}),
    )

    assert outcome.reason_code == "no_open_internship"


def test_rule_conditions_reject_foreign_ids(program, other_program):
    foreign = other_program.university()

    with pytest.raises(ProgramError, match="not found"):
        create_rule(
            program.portal_id,
            "Bad",
            fixed_user_id=1,
            conditions={"university_ids": [foreign.id]},
        )


def test_foreign_rule_not_editable(program, other_program):
    rule = create_rule(other_program.portal_id, "Theirs", fixed_user_id=1)

    with pytest.raises(NotFoundError):
        update_rule(program.portal_id, rule.id, name="Mine now")


def test_partnership_rejects_foreign_university(program, other_program):
    foreign = other_program.university()
    employer = program.employer()

    with pytest.raises(NotFoundError):
        create_partnership(program.portal_id, foreign.id, employer.id, seats_total=3)
