"""Requests at once: the double-apply guard, the last seat, the least loaded user."""

import threading

from sqlalchemy import func, select

from b24app.extensions import db
from b24app.program.models import Application, Partnership, Student
from b24app.program.routing import route_application
from b24app.program.services.rules import create_rule

from .builders import apply


def run_together(app, portal_id, requests):
    """Route the requests in parallel threads released at the same moment."""
    barrier = threading.Barrier(len(requests))
    outcomes = [None] * len(requests)
    errors = []

    def worker(index, request):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                outcomes[index] = route_application(portal_id, request)
            except Exception as error:  # reported by the assertion below
                errors.append(error)

    threads = [
        threading.Thread(target=worker, args=(index, request))
        for index, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return outcomes


def count(model) -> int:
    return db.session.execute(select(func.count(model.id))).scalar_one()


def test_double_apply_at_once(app, program):
    university = program.university()
    employer = program.employer()
    internship = program.internship(employer)
    program.partnership(university, employer, seats=5)
    fields = {"university_id": university.id, "student_number": "77"}

    outcomes = run_together(
        app,
        program.portal_id,
        [apply(internship, 1, student_fields=fields) for _ in range(2)],
    )

    codes = sorted(outcome.reason_code for outcome in outcomes)
    assert codes == ["duplicate", "routed"]
    assert count(Application) == 1
    assert count(Student) == 1


def test_last_seat_at_once(app, program):
    university = program.university()
    employer = program.employer()
    internship = program.internship(employer)
    partnership = program.partnership(university, employer, seats=1)
    fields = {"university_id": university.id}

    outcomes = run_together(
        app,
        program.portal_id,
        [apply(internship, number, student_fields=fields) for number in (1, 2)],
    )

    codes = sorted(outcome.reason_code for outcome in outcomes)
    assert codes == ["no_seats", "routed"]
    assert count(Application) == 1
    assert db.session.get(Partnership, partnership.id).seats_used == 1


def test_least_loaded_at_once(app, program):
    # Two universities with a partnership each, so no shared seat row lock
    # orders the two runs.
    employer = program.employer()
    internship = program.internship(employer)
    universities = [program.university(name) for name in ("North", "South")]
    for university in universities:
        program.partnership(university, employer, seats=10)
    create_rule(program.portal_id, "Load", strategy="least_loaded", user_pool=[1, 2])

    outcomes = run_together(
        app,
        program.portal_id,
        [
            apply(internship, number, student_fields={"university_id": university.id})
            for number, university in enumerate(universities, start=1)
        ],
    )

    assignees = sorted(outcome.assignee_user_id for outcome in outcomes)
    assert assignees == [1, 2]
