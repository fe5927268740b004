"""Figures of one university and of one employer."""

from typing import Any

from sqlalchemy import Integer, and_, cast, false, func, select

from b24app.analytics import funnel, measures, scope
from b24app.analytics.filters import Filters
from b24app.analytics.sql import tune_transaction
from b24app.extensions import db
from b24app.program.models import (
    ApplicationStage,
    Employer,
    InternshipStatus,
    Term,
    University,
)

OFFERED_STATUSES = (
    InternshipStatus.OPEN,
    InternshipStatus.CLOSED,
    InternshipStatus.COMPLETED,
)


class NotFound(LookupError):
    """The university or employer is not in this portal, or was deleted."""


def compute_university(
    portal_id: int, university_id: int, filters: Filters
) -> dict[str, Any]:
    """Internships, students, seats, funnel and placement time of one university."""
    tune_transaction()
    university = db.session.execute(
        select(University).where(
            University.portal_id == portal_id,
            University.id == university_id,
            University.deleted.is_(false()),
        )
    ).scalar_one_or_none()
    if university is None:
        raise NotFound(f"university {university_id} not found in portal {portal_id}")

    scoped = filters.narrowed(university_id=university_id)
    statuses = measures.count_by(scope.internships(portal_id, scoped), "status")
    history = funnel.summarize_history(portal_id, scoped, placement=True)
    return {
        "university": {"id": university.id, "name": university.name},
        "internships": {
            "offered": sum(statuses.get(str(status), 0) for status in OFFERED_STATUSES),
            "completed": statuses.get(str(InternshipStatus.COMPLETED), 0),
            "by_status": measures.fill_keys(statuses, InternshipStatus),
        },
        "students": student_counts(portal_id, scoped),
        "seats": measures.seats(portal_id, scoped),
        "funnel": history.funnel,
        "time_to_placement": history.duration,
    }


def student_counts(portal_id: int, filters: Filters) -> dict[str, int]:
    """Students of the university: total, applied, in process and placed.

    A placed student is not also counted in process, although they may still
    have other applications open.
    """
    total = db.session.execute(
        select(func.count()).select_from(
            scope.students(portal_id, filters.university_id).subquery()
        )
    ).scalar_one()

    apps = scope.summaries(portal_id, filters).subquery("apps")
    is_placed = measures.placed(apps)
    per_student = (
        select(
            apps.c.student_id,
            func.max(cast(is_placed, Integer)).label("placed"),
            func.max(cast(measures.active(apps), Integer)).label("active"),
        )
        .select_from(apps)
        .outerjoin(Term, Term.id == apps.c.term_id)
        .group_by(apps.c.student_id)
        .subquery("per_student")
    )
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(per_student.c.placed == 1),
            func.count().filter(
                and_(per_student.c.placed == 0, per_student.c.active == 1)
            ),
        )
    ).one()
    return {"total": total, "applied": row[0], "placed": row[1], "in_process": row[2]}


def compute_employer(
    portal_id: int, employer_id: int, filters: Filters
) -> dict[str, Any]:
    """Internships, applications by university and stage, seats, time to hire."""
    tune_transaction()
    employer = db.session.execute(
        select(Employer).where(
            Employer.portal_id == portal_id,
            Employer.id == employer_id,
            Employer.deleted.is_(false()),
        )
    ).scalar_one_or_none()
    if employer is None:
        raise NotFound(f"employer {employer_id} not found in portal {portal_id}")

    scoped = filters.narrowed(employer_id=employer_id)
    statuses = measures.count_by(scope.internships(portal_id, scoped), "status")
    stages = measures.count_by(scope.summaries(portal_id, scoped), "stage")
    return {
        "employer": {"id": employer.id, "name": employer.name},
        "internships": {
            "total": sum(statuses.values()),
            "by_status": measures.fill_keys(statuses, InternshipStatus),
        },
        "applications": {
            "total": sum(stages.values()),
            "by_stage": measures.fill_keys(stages, ApplicationStage),
            "by_university": applications_by_university(portal_id, scoped),
        },
        "seats": measures.seats(portal_id, scoped),
        "time_to_hire": funnel.summarize_history(portal_id, scoped).duration,
    }


def applications_by_university(
    portal_id: int, filters: Filters
) -> list[dict[str, Any]]:
    """Per university: applications in each stage and in total."""
    apps = scope.summaries(portal_id, filters).subquery("apps")
    stage_counts = [
        func.count().filter(apps.c.stage == stage).label(str(stage))
        for stage in ApplicationStage
    ]
    statement = (
        select(
            University.id, University.name, func.count().label("total"), *stage_counts
        )
        .select_from(apps)
        .join(University, University.id == apps.c.university_id)
        .where(University.deleted.is_(false()))
        .group_by(University.id, University.name)
        .order_by(func.count().desc(), University.name)
    )
    rows = []
    for row in db.session.execute(statement).mappings():
        rows.append(
            {
                "university_id": row["id"],
                "university_name": row["name"],
                "total": row["total"],
                "by_stage": {str(stage): row[str(stage)] for stage in ApplicationStage},
            }
        )
    return rows
