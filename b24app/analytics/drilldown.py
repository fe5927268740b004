"""The applications behind a number on the dashboard."""

from typing import Any

from sqlalchemy import func, select

from b24app.analytics import scope
from b24app.analytics.filters import Filters
from b24app.extensions import db
from b24app.program.models import Employer, Internship, Student, University

PAGE_SIZE = 100


def list_applications(
    portal_id: int,
    filters: Filters,
    stage: str | None = None,
    source: str | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[list[dict[str, Any]], int]:
    """Return the newest `limit` applications in scope and their total count."""
    statement = scope.applications(portal_id, filters)
    if stage:
        statement = statement.where(statement.selected_columns.stage == stage)
    if source:
        statement = statement.where(statement.selected_columns.source == source)
    apps = statement.subquery("apps")

    total = db.session.execute(select(func.count()).select_from(apps)).scalar_one()
    rows = db.session.execute(
        select(
            apps.c.id,
            apps.c.stage,
            apps.c.source,
            apps.c.created_at,
            Student.last_name,
            Student.first_name,
            Internship.title,
            Employer.name.label("employer"),
            University.name.label("university"),
        )
        .join(Student, Student.id == apps.c.student_id)
        .join(Internship, Internship.id == apps.c.internship_id)
        .join(Employer, Employer.id == apps.c.employer_id)
        .outerjoin(University, University.id == apps.c.university_id)
        .order_by(apps.c.created_at.desc(), apps.c.id.desc())
        .limit(limit)
    ).mappings()
    return [dict(row) for row in rows], total
