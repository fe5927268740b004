"""Helpers for the placement page tests: session headers and extra program rows."""

from __future__ import annotations

from b24app.extensions import db
from b24app.program.models import Application, Student, University
from b24app.web.session import SESSION_HEADER

from .support import user_session


def headers(mirror, user_id: int = 1, admin: bool = True, htmx: bool = True) -> dict:
    """Return the request headers of an htmx request in a frame session."""
    token = user_session(mirror.portal.id, mirror.server, user_id, admin)
    values = {SESSION_HEADER: token}
    if htmx:
        values["HX-Request"] = "true"
    return values


def non_admin(mirror) -> dict:
    return headers(mirror, user_id=2, admin=False)


def application_of(mirror) -> Application:
    return db.session.execute(
        db.select(Application).where(Application.student_id == mirror.student.id)
    ).scalar_one()


def add_students(mirror, count: int, last_name: str = "Генерированный") -> None:
    """Add generated students of the mirror's university."""
    university_id = mirror.student.university_id
    for number in range(count):
        db.session.add(
            Student(
                portal_id=mirror.portal.id,
                first_name=f"Студент{number:03d}",
                last_name=last_name,
                university_id=university_id,
                email=f"student{number:03d}@example.com",
                course=2,
            )
        )
    db.session.commit()


def university_of(mirror) -> University:
    return db.session.get(University, mirror.student.university_id)
