"""Rejections: each reason code, its stored attempt and its message."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from b24app.extensions import db
from b24app.program.models import Application, ApplicationAttempt, Student
from b24app.program.routing import route_application
from b24app.program.services.stages import change_stage
from b24app.program.services.terms import update_term

from .builders import NOW, apply


@pytest.fixture
def world(program):
    north = program.university("North")
    south = program.university("South")
    acme = program.employer("Acme")
    term = program.term(max_active_applications=2, freeze_placed=True)
    internship = program.internship(acme, term_id=term.id)
    partnership = program.partnership(north, acme, seats=5)
    return {
        "program": program,
        "north": north,
        "south": south,
        "acme": acme,
        "term": term,
        "internship": internship,
        "partnership": partnership,
    }


def north_student(world, number=1, **fields):
    return {"university_id": world["north"].id, **fields}


def route(world, number=1, internship=None, **student_fields):
    internship = internship or world["internship"]
    return route_application(
        world["program"].portal_id,
        apply(
            internship, number, student_fields=north_student(world, **student_fields)
        ),
    )


def set_fields(row, **fields):
    for name, value in fields.items():
        setattr(row, name, value)
    db.session.commit()


def closed(world):
    set_fields(world["internship"], status="closed")


def not_open_yet(world):
    set_fields(world["internship"], applications_open_at=NOW + timedelta(days=1))


def window_over(world):
    set_fields(world["internship"], applications_close_at=NOW - timedelta(seconds=1))


def term_window_over(world):
    set_fields(
        world["internship"], applications_open_at=None, applications_close_at=None
    )
    update_term(
        world["program"].portal_id,
        world["term"].id,
        applications_open_at=NOW - timedelta(days=20),
        applications_close_at=NOW - timedelta(days=1),
    )


def applied_before(world):
    assert route(world).accepted


def over_cap(world):
    program = world["program"]
    for title in ("Second", "Third"):
        other = program.internship(world["acme"], title, term_id=world["term"].id)
        assert route(world, internship=other).accepted


def frozen(world):
    route(world, internship=world["program"].internship(world["acme"], "Warmup"))
    db.session.execute(Student.__table__.update().values(frozen=True))
    db.session.commit()


def placed(world):
    route(world, internship=world["program"].internship(world["acme"], "Warmup"))
    db.session.execute(Student.__table__.update().values(placed=True))
    db.session.commit()


def other_universities_only(world):
    program = world["program"]
    world["internship"] = program.internship(
        world["acme"], "South only", universities=[world["south"]]
    )


def no_partnership(world):
    db.session.delete(world["partnership"])
    db.session.commit()


def partnership_suspended(world):
    set_fields(world["partnership"], status="suspended")


def partnership_other_term(world):
    other = world["program"].term("Winter 2027")
    set_fields(world["partnership"], term_id=other.id)


def partnership_expired(world):
    set_fields(world["partnership"], ends_on=(NOW - timedelta(days=1)).date())


def no_seats(world):
    set_fields(world["partnership"], seats_total=0)


def employer_deleted(world):
    set_fields(world["acme"], deleted=True)


def university_deleted(world):
    set_fields(world["north"], deleted=True)


CASES = [
    ("internship closed", closed, "internship_closed"),
    ("window not open", not_open_yet, "window_not_open"),
    ("window closed", window_over, "window_closed"),
    ("term window closed", term_window_over, "window_closed"),
    ("duplicate", applied_before, "duplicate"),
    ("over cap", over_cap, "over_cap"),
    ("frozen student", frozen, "student_frozen"),
    ("placed student, freezing term", placed, "student_frozen"),
    ("university not listed", other_universities_only, "university_not_eligible"),
    ("no partnership", no_partnership, "no_partnership"),
    ("partnership suspended", partnership_suspended, "no_partnership"),
    ("partnership for another term", partnership_other_term, "no_partnership"),
    ("partnership expired", partnership_expired, "no_partnership"),
    ("no seats", no_seats, "no_seats"),
    ("employer deleted in the CRM", employer_deleted, "internship_closed"),
    ("university deleted in the CRM", university_deleted, "university_not_eligible"),
]


@pytest.mark.parametrize(
    ("setup", "reason"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_rejection_reason(world, setup, reason):
    setup(world)

    outcome = route(world)

    assert not outcome.accepted
    assert outcome.reason_code == reason
    attempt = db.session.get(ApplicationAttempt, outcome.attempt_id)
    assert attempt.reason_code == reason
    assert attempt.accepted is False
    assert attempt.message == outcome.message
    assert outcome.decision_id is not None


def test_placed_student_allowed_without_freeze(world):
    placed(world)
    update_term(world["program"].portal_id, world["term"].id, freeze_placed=False)

    assert route(world).accepted


def test_open_to_all_needs_no_partnership(world):
    no_partnership(world)
    set_fields(world["internship"], open_to_all=True)

    outcome = route(world, university_id=None)

    assert outcome.accepted
    application = db.session.get(Application, outcome.application_id)
    assert application.partnership_id is None


def test_student_without_university_rejected(world):
    outcome = route_application(
        world["program"].portal_id, apply(world["internship"], 1)
    )

    assert outcome.reason_code == "university_not_eligible"


def test_unknown_internship(world):
    request = apply(world["internship"], student_fields=north_student(world))
    request.internship_id = 10_000

    outcome = route_application(world["program"].portal_id, request)

    assert outcome.reason_code == "internship_not_found"


def test_invalid_request_stored_without_student(world):
    request = apply(world["internship"], student_fields={"email": "nobody"})

    outcome = route_application(world["program"].portal_id, request)

    assert outcome.reason_code == "invalid_request"
    assert outcome.student_id is None
    attempt = db.session.get(ApplicationAttempt, outcome.attempt_id)
    assert attempt.request["student"]["email"] == "nobody"
    count = db.session.execute(select(func.count(Student.id))).scalar_one()
    assert count == 0


def test_message_in_portal_language(world):
    closed(world)

    outcome = route(world)

    assert outcome.lang == "ru"
    assert outcome.message == "На эту стажировку заявки не принимаются."


def test_message_in_requested_language(world):
    window_over(world)
    request = apply(world["internship"], student_fields=north_student(world), lang="en")

    outcome = route_application(world["program"].portal_id, request)

    assert outcome.message == "The application window for this internship has closed."


def test_reapply_after_withdrawal_accepted(world):
    first = route(world)
    change_stage(world["program"].portal_id, first.application_id, "withdrawn")

    second = route(world)

    assert second.accepted
    assert second.application_id != first.application_id
    assert db.session.get(Application, first.application_id).stage == "withdrawn"
    assert route(world).reason_code == "duplicate"


def test_rejected_application_still_blocks(world):
    first = route(world)
    change_stage(world["program"].portal_id, first.application_id, "rejected")

    assert route(world).reason_code == "duplicate"


def test_database_refuses_second_open_application(world):
    first = route(world)
    copy = db.session.get(Application, first.application_id)
    columns = {
        column.name: getattr(copy, column.key)
        for column in Application.__table__.columns
        if column.name not in ("id", "bitrix_id")
    }

    with pytest.raises(IntegrityError):
        db.session.execute(Application.__table__.insert().values(**columns))
    db.session.rollback()


def test_open_to_all_takes_student_of_deleted_university(world):
    university_deleted(world)
    set_fields(world["internship"], open_to_all=True)

    outcome = route(world)

    assert outcome.accepted
    assert db.session.get(Application, outcome.application_id).partnership_id is None
