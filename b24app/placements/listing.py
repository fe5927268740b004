"""Paged lists of the app page and the card tabs, each scoped to one portal.

Pages are read with LIMIT page_size + 1, so a list can tell whether another
page follows without counting every matching row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from b24app.extensions import db
from b24app.program.models import (
    Application,
    Employer,
    Internship,
    RoutingDecision,
    Student,
    University,
)

PAGE_SIZE = 20
# An extra WHERE condition of a list; None means no restriction.
Condition = ColumnElement[bool] | None


@dataclass
class Page:
    """One page of rows and whether another page follows."""

    items: list[Any]
    number: int
    has_more: bool
    filters: dict[str, Any] = field(default_factory=dict)


@dataclass
class ApplicationRow:
    """An application with the records a table row shows next to it."""

    application: Application
    student: Student | None
    internship: Internship | None
    employer: Employer | None
    decision: RoutingDecision | None


def restrict(statement: Select, condition: Condition) -> Select:
    """Add `condition` to `statement`; None leaves it unchanged."""
    return statement if condition is None else statement.where(condition)


def read_page(statement: Select, number: int, size: int = PAGE_SIZE) -> Page:
    rows = list(
        db.session.execute(statement.offset((number - 1) * size).limit(size + 1))
    )
    items = [row[0] if len(row) == 1 else row for row in rows]
    return Page(items[:size], number, len(items) > size)


def like_pattern(text: str) -> str:
    """Return an ILIKE pattern containing `text`, with its wildcards removed."""
    return f"%{text.replace('%', '').replace('_', '').replace(chr(92), '')}%"


def universities(
    portal_id: int, query: str, number: int, condition: Condition = None
) -> Page:
    statement = (
        select(University)
        .where(University.portal_id == portal_id, University.deleted.is_(False))
        .order_by(University.name, University.id)
    )
    if query:
        statement = statement.where(University.name.ilike(like_pattern(query)))
    return read_page(restrict(statement, condition), number)


def employers(
    portal_id: int, query: str, number: int, condition: Condition = None
) -> Page:
    statement = (
        select(Employer)
        .where(Employer.portal_id == portal_id, Employer.deleted.is_(False))
        .order_by(Employer.name, Employer.id)
    )
    if query:
        pattern = like_pattern(query)
        statement = statement.where(
            or_(Employer.name.ilike(pattern), Employer.industry.ilike(pattern))
        )
    return read_page(restrict(statement, condition), number)


def students(
    portal_id: int,
    query: str,
    number: int,
    university_id: int | None = None,
    condition: Condition = None,
) -> Page:
    statement = (
        select(Student)
        .where(Student.portal_id == portal_id)
        .order_by(Student.last_name, Student.first_name, Student.id)
    )
    if university_id is not None:
        statement = statement.where(Student.university_id == university_id)
    if query:
        pattern = like_pattern(query)
        statement = statement.where(
            or_(
                Student.first_name.ilike(pattern),
                Student.last_name.ilike(pattern),
                Student.email.ilike(pattern),
            )
        )
    return read_page(restrict(statement, condition), number)


def internships(
    portal_id: int,
    query: str,
    number: int,
    status: str | None = None,
    employer_id: int | None = None,
    condition: Condition = None,
) -> Page:
    statement = (
        select(Internship, Employer)
        .outerjoin(
            Employer,
            and_(
                Employer.id == Internship.employer_id,
                Employer.portal_id == Internship.portal_id,
            ),
        )
        .where(Internship.portal_id == portal_id)
        .order_by(Internship.title, Internship.id)
    )
    if status:
        statement = statement.where(Internship.status == status)
    if employer_id is not None:
        statement = statement.where(Internship.employer_id == employer_id)
    if query:
        statement = statement.where(Internship.title.ilike(like_pattern(query)))
    return read_page(restrict(statement, condition), number)


def applications(
    portal_id: int,
    number: int,
    by_score: bool = False,
    condition: Condition = None,
    **filters: Any,
) -> Page:
    """Return a page of applications with their student, internship and decision.

    Newest first, or best score first with `by_score` (an internship's
    applicants). `filters`: stage, university_id, employer_id, internship_id,
    student_id (None or empty means any) and `query`, matched against the
    student's name and e-mail. `condition`, as in the other lists, narrows
    the rows to what a non-admin may see.
    """
    # Newest first walks the primary key backwards, so the portal-wide list
    # needs no sort of every application.
    order = (Application.score.desc(), Application.id)
    if not by_score:
        order = (Application.id.desc(),)
    statement = application_select(portal_id).order_by(*order)
    for name in ("stage", "university_id", "employer_id", "internship_id"):
        if filters.get(name):
            statement = statement.where(getattr(Application, name) == filters[name])
    if filters.get("student_id"):
        statement = statement.where(Application.student_id == filters["student_id"])
    if filters.get("query"):
        pattern = like_pattern(filters["query"])
        statement = statement.where(
            or_(
                Student.first_name.ilike(pattern),
                Student.last_name.ilike(pattern),
                Student.email.ilike(pattern),
            )
        )

    page = read_page(restrict(statement, condition), number)
    page.items = [ApplicationRow(*row) for row in page.items]
    return page


def application_select(portal_id: int) -> Select:
    """SELECT applications joined to their rows; each join stays in the portal."""
    same_portal = Application.portal_id
    return (
        select(Application, Student, Internship, Employer, RoutingDecision)
        .outerjoin(
            Student,
            and_(
                Student.id == Application.student_id, Student.portal_id == same_portal
            ),
        )
        .outerjoin(
            Internship,
            and_(
                Internship.id == Application.internship_id,
                Internship.portal_id == same_portal,
            ),
        )
        .outerjoin(
            Employer,
            and_(
                Employer.id == Application.employer_id,
                Employer.portal_id == same_portal,
            ),
        )
        .outerjoin(
            RoutingDecision,
            and_(
                RoutingDecision.id == Application.routing_decision_id,
                RoutingDecision.portal_id == same_portal,
            ),
        )
        .where(Application.portal_id == portal_id)
    )


def application_rows(portal_id: int, **filters: Any) -> list[ApplicationRow]:
    """Return every application matching `filters` (column equality), best first."""
    statement = application_select(portal_id).order_by(
        Application.score.desc(), Application.id
    )
    for name, value in filters.items():
        statement = statement.where(getattr(Application, name) == value)
    return [ApplicationRow(*row) for row in db.session.execute(statement)]
