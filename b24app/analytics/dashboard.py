"""The program dashboard of one portal: totals, distributions, funnel, timings."""

from typing import Any

from sqlalchemy import distinct, false, func, select

from b24app.analytics import (
    funnel,
    measures,
    rollup_reads,
    rollup_state,
    rollups,
    scope,
)
from b24app.analytics.filters import Filters
from b24app.analytics.rollup_jobs import queue_rebuild
from b24app.analytics.sql import tune_transaction
from b24app.extensions import db
from b24app.program.models import (
    ACTIVE_STAGES,
    ApplicationStage,
    InternshipStatus,
    PartnershipStatus,
    Recruiter,
    Term,
    University,
)

# The groups the dashboard counts applications by.
COUNTED = [
    ("stage",),
    ("source",),
    ("created_month",),
    ("furthest_rank",),
    ("hired_month",),
    ("assigned_user_id", "stage"),
]


def compute_dashboard(portal_id: int, filters: Filters) -> dict[str, Any]:
    """Compute every dashboard figure for one portal and filter, JSON-ready."""
    tune_transaction()
    internship_status = measures.count_by(
        scope.internships(portal_id, filters), "status"
    )
    counts, stage_durations, time_to_hire, universities = application_figures(
        portal_id, filters
    )
    application_stage = counts[("stage",)]
    hires_by_month = {
        month: count
        for month, count in counts[("hired_month",)].items()
        if month is not None
    }
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
        "by_university": universities,
        "funnel": funnel.funnel_rows(counts[("furthest_rank",)]),
        "stage_durations": stage_durations,
        "time_to_hire": time_to_hire,
        "sources": measures.fill_keys(counts[("source",)], measures.KNOWN_SOURCES),
        "recruiter_load": recruiter_load(
            portal_id, counts[("assigned_user_id", "stage")]
        ),
        "monthly": monthly(counts[("created_month",)], hires_by_month),
    }


def application_figures(portal_id: int, filters: Filters) -> tuple:
    """Compute (counts, stage_durations, time_to_hire, by_university).

    The whole portal and one term are read from the rollups, a few hundred
    rows, once they are built. Until then, and for narrower scopes (a
    university, employer, internship or dates), the figures are computed from
    the summaries in scope. A portal without built rollups also gets a rebuild
    queued.
    """
    if rollup_reads.covers(filters):
        if rollup_state.is_built(portal_id):
            return rollup_figures(portal_id, filters)
        queue_rebuild(portal_id)

    counts = rollups.count_by_columns(scope.summaries(portal_id, filters), COUNTED)
    stage_durations, time_to_hire = rollups.timings(portal_id, filters)
    universities = by_university(portal_id, filters)
    return counts, stage_durations, time_to_hire, universities


def rollup_figures(portal_id: int, filters: Filters) -> tuple:
    """Read (counts, stage_durations, time_to_hire, by_university) from the rollups."""
    stage_durations, time_to_hire = rollup_reads.timings(portal_id, filters)
    return (
        rollup_reads.count_groups(portal_id, filters),
        stage_durations,
        time_to_hire,
        rollup_reads.by_university(portal_id, filters),
    )


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
    apps = scope.summaries(portal_id, filters).subquery("apps")
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


def recruiter_load(
    portal_id: int, by_user_and_stage: dict[tuple[int | None, str], int]
) -> list[dict[str, Any]]:
    """Active, hired and total applications per assigned Bitrix24 user.

    `by_user_and_stage` counts the applications in scope per (user id, stage).
    """
    loads: dict[int, dict[str, int]] = {}
    for (user_id, stage), count in by_user_and_stage.items():
        if user_id is None:
            continue
        load = loads.setdefault(user_id, {"active": 0, "hired": 0, "total": 0})
        load["total"] += count
        if stage in ACTIVE_STAGES:
            load["active"] += count
        if stage == ApplicationStage.HIRED:
            load["hired"] += count

    recruiters = {
        row.bitrix_user_id: row
        for row in db.session.execute(
            select(Recruiter.bitrix_user_id, Recruiter.name, Recruiter.active).where(
                Recruiter.portal_id == portal_id,
                Recruiter.bitrix_user_id.in_(list(loads)),
            )
        )
    }
    rows = []
    for user_id, load in sorted(loads.items(), key=lambda i: (-i[1]["active"], i[0])):
        recruiter = recruiters.get(user_id)
        rows.append(
            {
                "user_id": user_id,
                "name": (recruiter.name if recruiter else None) or "",
                # A user with no recruiter row counts as active, as in routing.
                "recruiter_active": recruiter is None or recruiter.active is not False,
                **load,
            }
        )
    return rows


def monthly(created: dict[str, int], hired: dict[str, int]) -> list[dict[str, Any]]:
    """Applications `created` and first hires (`hired`) per calendar month (UTC)."""
    months = sorted(set(created) | set(hired))
    return [
        {
            "month": month,
            "applications": created.get(month, 0),
            "hired": hired.get(month, 0),
        }
        for month in months
    ]
