"""General applications: the engine picks the internship."""

from datetime import timedelta

import pytest

from b24app.program.routing import route_application

from .builders import NOW, apply


@pytest.fixture
def world(program):
    north = program.university("North")
    acme = program.employer("Acme")
    globex = program.employer("Globex")
    program.partnership(north, acme, seats=10)
    program.partnership(north, globex, seats=10)
    return {"program": program, "north": north, "acme": acme, "globex": globex}


def general(world, number=1, skills=("python",), **request):
    student = {"university_id": world["north"].id, "skills": list(skills)}
    return route_application(
        world["program"].portal_id,
        apply(None, number, student_fields=student, **request),
    )


def test_best_score_wins(world):
    program = world["program"]
    program.internship(world["acme"], "Java", required_skills=["java"])
    python = program.internship(world["acme"], "Python", required_skills=["python"])

    outcome = general(world, employer_id=world["acme"].id)

    assert outcome.accepted
    assert outcome.internship_id == python.id
    assert outcome.score == 1.0


def test_tie_goes_to_earliest_close(world):
    program = world["program"]
    program.internship(
        world["acme"], "Late", applications_close_at=NOW + timedelta(days=30)
    )
    early = program.internship(
        world["acme"], "Early", applications_close_at=NOW + timedelta(days=2)
    )

    outcome = general(world, employer_id=world["acme"].id)

    assert outcome.internship_id == early.id


def test_full_tie_goes_to_lowest_id(world):
    program = world["program"]
    first = program.internship(world["acme"], "First")
    program.internship(world["acme"], "Second")

    outcome = general(world, employer_id=world["acme"].id)

    assert outcome.internship_id == first.id


def test_employer_filter(world):
    program = world["program"]
    program.internship(world["acme"], "Acme role")
    globex = program.internship(world["globex"], "Globex role")

    outcome = general(world, employer_id=world["globex"].id)

    assert outcome.internship_id == globex.id


def test_programme_filter(world):
    program = world["program"]
    program.internship(world["acme"], "Any")
    data = program.internship(
        world["globex"], "Data", programmes=["Data Science", "Статистика"]
    )

    outcome = general(world, programme="data science")

    assert outcome.internship_id == data.id


def test_skips_ineligible_internship(world):
    program = world["program"]
    program.internship(
        world["acme"],
        "Closed window",
        required_skills=["python"],
        applications_close_at=NOW - timedelta(days=1),
    )
    open_one = program.internship(world["acme"], "Open", required_skills=["java"])

    outcome = general(world, employer_id=world["acme"].id)

    assert outcome.internship_id == open_one.id
    assert "Closed window" in outcome.explanation
    assert "window_closed" in outcome.explanation


def test_second_general_application_takes_next(world):
    program = world["program"]
    best = program.internship(world["acme"], "Best", required_skills=["python"])
    other = program.internship(world["acme"], "Other", required_skills=["java"])

    first = general(world, employer_id=world["acme"].id)
    second = general(world, employer_id=world["acme"].id)

    assert first.internship_id == best.id
    assert second.internship_id == other.id


def test_no_open_internship(world):
    world["program"].internship(world["acme"], "Draft", status="draft")

    outcome = general(world, employer_id=world["acme"].id)

    assert outcome.reason_code == "no_open_internship"


def test_shared_reason_reported(world):
    program = world["program"]
    term = program.term(max_active_applications=0)
    program.internship(world["acme"], "One", term_id=term.id)
    program.internship(world["acme"], "Two", term_id=term.id)

    outcome = general(world, employer_id=world["acme"].id)

    assert outcome.reason_code == "over_cap"
