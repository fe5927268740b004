"""The program dashboard of one portal: totals, distributions, funnel, timings."""

from typing import Any

from sqlalchemy import distinct, false, func, select

from b24app.analytics import funnel, measures, scope
from b24app.analytics.filters import Filters
from b24app.analytics.sql import month_of, tune_transaction
from b24app.extensions import db
from b24app.program.models import (
    ApplicationStage,
    InternshipStatus,
    PartnershipStatus,
    Recruiter,
    Term,
    University,
)


def compute_dashboard(portal_id: int, filters: Filters) -> dict[str, Any]:
    """Compute every dashboard figure for one portal and filter, JSON-ready."""
    tune_transaction()
    internship_status = measures.count_by(
        scope.internships(portal_id, filters), "status"
    )
    application_stage = measures.count_by(
        scope.applications(portal_id, filters), "stage"
    )
    history = funnel.summarize_history(portal_id, filters)
    active_total = sum(
        application_stage.get(str(stage), 0)
        for stage in (
            ApplicationStage.NEW,
            ApplicationStage.SCREENING,
            ApplicationStage.INTERVIEW,
            ApplicationStage.OFFER,
        )
    )

    return {
        "totals": {
            "internships": sum(internship_status.values()),
            "applications": sum(application_stage.values()),
            "active_applications": active_total,
            "partner_universities": partner_universities(portal_id, filters),
        },
        "internship_status": measures.fill_keys(internship_status, InternshipStatus),
        "application_stage": measures.fill_keys(application_stage, ApplicationStage),
        "by_university": by_university(portal_id, filters),
        "funnel": history.funnel,
        "stage_durations": funnel.stage_durations(portal_id, filters),
        "time_to_hire": history.duration,
        "sources": measures.fill_keys(
            measures.count_by(scope.applications(portal_id, filters), "source"),
            measures.KNOWN_SOURCES,
        ),
        "recruiter_load": recruiter_load(portal_id, filters),
        "monthly": monthly(portal_id, filters, history.hires_by_month),
    }


def partner_universities(portal_id: int, filters: Filters) -> int:
    """Universities with an active partnership in scope."""
    partnerships = scope.partnerships(portal_id, filters).subquery("partnerships")
    statement = (
        select(func.count(distinct(partnerships.c.university_id)))
        .join(University, University.id == partnerships.c.university_id)
        .where(
            partnerships.c.status == PartnershipStatus.ACTIVE,
            University.deleted.is_(false()),
        )
    )
    return db.session.execute(statement).scalar_one()


def by_university(portal_id: int, filters: Filters) -> list[dict[str, Any]]:
    """Applications, applying students and placements per university."""
    apps = scope.applications(portal_id, filters).subquery("apps")
    is_placed = measures.placed(apps)
    statement = (
        select(
            University.id,
            University.name,
            func.count().label("applications"),
            func.count(distinct(apps.c.student_id)).label("students"),
            func.count(distinct(apps.c.student_id)).filter(is_placed).label("placed"),
        )
        .select_from(apps)
        .join(University, University.id == apps.c.university_id)
        .outerjoin(Term, Term.id == apps.c.term_id)
        .where(University.deleted.is_(false()))
        .group_by(University.id, University.name)
        .order_by(func.count().desc(), University.name)
    )
    return [
        {
            "university_id": row.id,
            "university_name": row.name,
            "applications": row.applications,
            "students": row.students,
            "placed": row.placed,
        }
        for row in db.session.execute(statement)
    ]


def recruiter_load(portal_id: int, filters: Filters) -> list[dict[str, Any]]:
    """Active, hired and total applications per assigned Bitrix24 user."""
    apps = scope.applications(portal_id, filters).subquery("apps")
    statement = (
        select(
            apps.c.assigned_user_id,
            Recruiter.name,
            Recruiter.active.label("recruiter_active"),
            func.count().filter(measures.active(apps)).label("active_count"),
            func.count().filter(apps.c.stage == ApplicationStage.HIRED).label("hired"),
            func.count().label("total"),
        )
        .select_from(apps)
        .outerjoin(
            Recruiter,
            (Recruiter.portal_id == portal_id)
            & (Recruiter.bitrix_user_id == apps.c.assigned_user_id),
        )
        .where(apps.c.assigned_user_id.isnot(None))
        .group_by(apps.c.assigned_user_id, Recruiter.name, Recruiter.active)
        .order_by(
            func.count().filter(measures.active(apps)).desc(),
            apps.c.assigned_user_id,
        )
    )
    return [
        {
            "user_id": row.assigned_user_id,
            "name": row.name or "",
            # A user with no recruiter row counts as active, as in routing.
            "recruiter_active": row.recruiter_active is not False,
            "active": row.active_count,
            "hired": row.hired,
            "total": row.total,
        }
        for row in db.session.execute(statement)
    ]


def monthly(
    portal_id: int, filters: Filters, hired: dict[str, int]
) -> list[dict[str, Any]]:
    """Applications created and first hires (`hired`) per calendar month (UTC)."""
    apps = scope.applications(portal_id, filters).subquery("apps")
    created_month = month_of(apps.c.created_at).label("month")
    created = dict(
        db.session.execute(
            select(created_month, func.count()).group_by(created_month)
        ).all()
    )

    months = sorted(set(created) | set(hired))
    return [
        {
            "month": month,
            "applications": created.get(month, 0),
            "hired": hired.get(month, 0),
        }
        for month in months
    ]
