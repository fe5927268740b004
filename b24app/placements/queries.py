"""Read-only loaders for the card tabs: every query is scoped to one portal.

The tabs render from the local mirror only, so a card opens without a REST call
to the portal; data arrives there through event sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select

from b24app.extensions import db
from b24app.program.models import (
    ACTIVE_STAGES,
    Application,
    CrmOutbox,
    Employer,
    Internship,
    OutboxStatus,
    Partnership,
    RoutingDecision,
    Student,
    University,
)
from b24app.tenancy.scoping import get_scoped, scoped

PAGE_SIZE = 20


@dataclass
class ApplicationRow:
    """An application with the records a table row shows next to it."""

    application: Application
    student: Student | None
    internship: Internship | None
    employer: Employer | None
    decision: RoutingDecision | None


def find_by_bitrix_id(model: Any, portal_id: int, bitrix_id: int) -> Any:
    """Return the live row of `model` mirrored from CRM record `bitrix_id`."""
    row = get_scoped(model, portal_id, bitrix_id=bitrix_id)
    if row is None or getattr(row, "deleted", False):
        return None
    return row


def application_rows(portal_id: int, **filters: Any) -> list[ApplicationRow]:
    """Return applications matching `filters` with their student and decision."""
    statement = (
        scoped(Application, portal_id)
        .filter_by(**filters)
        .order_by(Application.score.desc(), Application.id)
    )
    rows = []
    for application in db.session.execute(statement).scalars():
        rows.append(load_application_row(portal_id, application))
    return rows


def load_application_row(portal_id: int, application: Application) -> ApplicationRow:
    """Return `application` with its related rows, all from the same portal."""
    internship = get_scoped(Internship, portal_id, id=application.internship_id)
    decision = None
    if application.routing_decision_id is not None:
        decision = get_scoped(
            RoutingDecision, portal_id, id=application.routing_decision_id
        )
    return ApplicationRow(
        application=application,
        student=get_scoped(Student, portal_id, id=application.student_id),
        internship=internship,
        employer=get_scoped(Employer, portal_id, id=application.employer_id),
        decision=decision,
    )


def pending_changes(
    portal_id: int,
    student_ids: list[int] = (),
    application_ids: list[int] = (),
) -> list[CrmOutbox]:
    """Return CRM writes about these students and applications not sent yet.

    Outbox rows point at local rows (`student`, `application`), so a tab passes
    the ids of the rows it shows.
    """
    statement = (
        scoped(CrmOutbox, portal_id)
        .where(CrmOutbox.status == OutboxStatus.PENDING)
        .where(
            or_(
                (CrmOutbox.entity_type == "student")
                & CrmOutbox.entity_id.in_(list(student_ids)),
                (CrmOutbox.entity_type == "application")
                & CrmOutbox.entity_id.in_(list(application_ids)),
            )
        )
        .order_by(CrmOutbox.id)
    )
    return list(db.session.execute(statement).scalars())


def count(model: Any, portal_id: int, *conditions: Any) -> int:
    """Return how many rows of `model` in the portal match `conditions`."""
    statement = (
        select(func.count()).select_from(model).where(model.portal_id == portal_id)
    )
    for condition in conditions:
        statement = statement.where(condition)
    return db.session.execute(statement).scalar_one()


def university_stats(portal_id: int, university: University) -> dict[str, int]:
    """Return the counts the company tab shows for a university."""
    return {
        "students": count(Student, portal_id, Student.university_id == university.id),
        "applications": count(
            Application, portal_id, Application.university_id == university.id
        ),
        "active": count(
            Application,
            portal_id,
            Application.university_id == university.id,
            Application.stage.in_(ACTIVE_STAGES),
        ),
        "hired": count(
            Application,
            portal_id,
            Application.university_id == university.id,
            Application.stage == "hired",
        ),
        "partnerships": count(
            Partnership, portal_id, Partnership.university_id == university.id
        ),
    }


def employer_stats(portal_id: int, employer: Employer) -> dict[str, int]:
    """Return the counts the company tab shows for an employer."""
    return {
        "internships": count(
            Internship, portal_id, Internship.employer_id == employer.id
        ),
        "applications": count(
            Application, portal_id, Application.employer_id == employer.id
        ),
        "active": count(
            Application,
            portal_id,
            Application.employer_id == employer.id,
            Application.stage.in_(ACTIVE_STAGES),
        ),
        "hired": count(
            Application,
            portal_id,
            Application.employer_id == employer.id,
            Application.stage == "hired",
        ),
        "partnerships": count(
            Partnership, portal_id, Partnership.employer_id == employer.id
        ),
    }


def partnerships_of(portal_id: int, **filters: Any) -> list[tuple[Partnership, str]]:
    """Return partnerships matching `filters` with the other side's name."""
    statement = scoped(Partnership, portal_id).filter_by(**filters)
    result = []
    for partnership in db.session.execute(statement).scalars():
        university = get_scoped(University, portal_id, id=partnership.university_id)
        employer = get_scoped(Employer, portal_id, id=partnership.employer_id)
        names = (
            university.name if university else "",
            employer.name if employer else "",
        )
        result.append((partnership, names))
    return result


def search_students(
    portal_id: int, query: str, page: int
) -> tuple[list[Student], bool]:
    """Return one page of students whose name or email contains `query`.

    The second value is True when another page follows.
    """
    statement = scoped(Student, portal_id).order_by(Student.last_name, Student.id)
    text = query.strip()
    if text:
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        statement = statement.where(
            or_(
                Student.first_name.ilike(pattern),
                Student.last_name.ilike(pattern),
                Student.email.ilike(pattern),
            )
        )
    rows = db.session.execute(
        statement.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).scalars()
    students = list(rows)
    return students[:PAGE_SIZE], len(students) > PAGE_SIZE


def open_internships(portal_id: int) -> list[Internship]:
    """Return internships that accept applications, by title."""
    statement = (
        scoped(Internship, portal_id)
        .where(Internship.status == "open")
        .order_by(Internship.title)
    )
    return list(db.session.execute(statement).scalars())


def overview(portal_id: int) -> dict[str, int]:
    """Return the program totals the app page shows."""
    return {
        "universities": count(University, portal_id, University.deleted.is_(False)),
        "employers": count(Employer, portal_id, Employer.deleted.is_(False)),
        "students": count(Student, portal_id),
        "internships": count(Internship, portal_id, Internship.status == "open"),
        "applications": count(
            Application, portal_id, Application.stage.in_(ACTIVE_STAGES)
        ),
        "hired": count(Application, portal_id, Application.stage == "hired"),
    }
