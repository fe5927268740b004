"""Rollups stay right when two workers change the same rollup rows at once.

The first worker flushes, so it keeps a lock on the rollup rows it changed,
and waits before committing. The second flushes meanwhile, blocks on those rows, and
goes on after the commit. Both changes must land in every counter, and a
student counted by both must be started or stopped exactly once.
"""

import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from b24app.analytics.rollup_models import ALL_TERMS, FigureCount, UniversityCount
from b24app.extensions import db
from b24app.program.models import Application, ApplicationStageChange, Student

from .conftest import at
from .test_rollups import assert_rollups_equal_rebuild

# How long the first worker keeps its transaction open after flushing.
HOLD_SECONDS = 0.5


def run_overlapping(app, first: Callable[[], None], second: Callable[[], None]):
    """Run `first` and `second` in two sessions whose flushes overlap."""
    flushed = threading.Event()
    errors: list[BaseException] = []

    def run_first() -> None:
        with app.app_context():
            try:
                first()
                db.session.flush()
                flushed.set()
                time.sleep(HOLD_SECONDS)
                db.session.commit()
            except BaseException as error:  # reported by the test thread
                errors.append(error)
                flushed.set()
            finally:
                db.session.remove()

    def run_second() -> None:
        with app.app_context():
            try:
                flushed.wait(timeout=10)
                second()
                db.session.commit()
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


def new_application(portal_id, student_id, internship, stage) -> Application:
    application = Application(
        portal_id=portal_id,
        student_id=student_id,
        internship_id=internship,
        employer_id=db.session.execute(
            sa.text("SELECT employer_id FROM internship WHERE id = :id"),
            {"id": internship},
        ).scalar_one(),
        university_id=db.session.get(Student, student_id).university_id,
        term_id=db.session.execute(
            sa.text("SELECT term_id FROM internship WHERE id = :id"),
            {"id": internship},
        ).scalar_one(),
        stage=stage,
        created_at=at("2026-05-01"),
    )
    db.session.add(application)
    db.session.flush()
    db.session.add(
        ApplicationStageChange(
            portal_id=portal_id,
            application_id=application.id,
            to_stage=stage,
            changed_at=at("2026-05-01"),
        )
    )
    return application


def move_to(portal_id: int, application_id: int, stage: str) -> Callable[[], None]:
    def move() -> None:
        application = db.session.get(Application, application_id)
        db.session.add(
            ApplicationStageChange(
                portal_id=portal_id,
                application_id=application_id,
                from_stage=application.stage,
                to_stage=stage,
                changed_at=at("2026-05-03"),
            )
        )
        application.stage = stage

    return move


def university_row(portal_id: int, term_key: int, university_id: int) -> tuple:
    db.session.expire_all()
    count = UniversityCount
    row = db.session.execute(
        sa.select(count.applications, count.students, count.placed_students).where(
            count.portal_id == portal_id,
            count.term_key == term_key,
            count.university_id == university_id,
        )
    ).one_or_none()
    db.session.rollback()
    return tuple(row) if row else (0, 0, 0)


def stage_count(portal_id: int, term_key: int, stage: str) -> int:
    count = FigureCount
    n = db.session.execute(
        sa.select(count.n).where(
            count.portal_id == portal_id,
            count.term_key == term_key,
            count.dimension == "stage",
            count.key == stage,
        )
    ).scalar_one_or_none()
    db.session.rollback()
    return n or 0


def add_student(program) -> int:
    student = Student(
        portal_id=program.portal_id, university_id=program["U1"], last_name="Both"
    )
    db.session.add(student)
    db.session.commit()
    return student.id


def test_concurrent_withdrawals_of_one_placed_student(app, program):
    portal_id, term = program.portal_id, program["T1"]
    student_id = add_student(program)
    first = new_application(portal_id, student_id, program["I1"], "hired").id
    second = new_application(portal_id, student_id, program["I2"], "hired").id
    db.session.commit()
    before = university_row(portal_id, term, program["U1"])
    hired_before = stage_count(portal_id, term, "hired")

    run_overlapping(
        app,
        move_to(portal_id, first, "withdrawn"),
        move_to(portal_id, second, "withdrawn"),
    )

    after = university_row(portal_id, term, program["U1"])
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert after[2] == before[2] - 1
    assert stage_count(portal_id, term, "hired") == hired_before - 2
    assert_rollups_equal_rebuild(portal_id)


def test_concurrent_first_applications_of_one_student(app, program):
    portal_id, term = program.portal_id, program["T1"]
    student_id = add_student(program)
    before = university_row(portal_id, term, program["U1"])
    before_all = university_row(portal_id, ALL_TERMS, program["U1"])

    run_overlapping(
        app,
        lambda: new_application(portal_id, student_id, program["I1"], "new"),
        lambda: new_application(portal_id, student_id, program["I2"], "new"),
    )

    after = university_row(portal_id, term, program["U1"])
    after_all = university_row(portal_id, ALL_TERMS, program["U1"])
    assert after[0] == before[0] + 2
    assert after[1] == before[1] + 1
    assert after_all[1] == before_all[1] + 1
    assert_rollups_equal_rebuild(portal_id)


def test_concurrent_deletes_of_one_student(app, program):
    portal_id, term = program.portal_id, program["T1"]
    student_id = add_student(program)
    first = new_application(portal_id, student_id, program["I1"], "screening").id
    second = new_application(portal_id, student_id, program["I2"], "screening").id
    db.session.commit()
    before = university_row(portal_id, term, program["U1"])

    def delete(application_id: int) -> Callable[[], None]:
        return lambda: db.session.delete(db.session.get(Application, application_id))

    run_overlapping(app, delete(first), delete(second))

    after = university_row(portal_id, term, program["U1"])
    assert after[0] == before[0] - 2
    assert after[1] == before[1] - 1
    assert_rollups_equal_rebuild(portal_id)
