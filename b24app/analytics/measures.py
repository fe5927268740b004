"""Measures shared by the dashboard, university and employer figures."""

from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from b24app.analytics import scope
from b24app.analytics.filters import Filters
from b24app.analytics.summary_models import ApplicationSummary
from b24app.extensions import db
from b24app.program.models import (
    ACTIVE_STAGES,
    SEAT_HOLDING_STAGES,
    ApplicationStage,
    Employer,
    Term,
    University,
)

KNOWN_SOURCES = ("form", "api", "crm", "import", "card")


def placed(apps: Any) -> ColumnElement[bool]:
    """An application that places its student now: hired, or offered when the term
    counts an offer as placement. Needs `Term` outer-joined on `apps.term_id`."""
    at_offer = and_(
        apps.c.stage == ApplicationStage.OFFER,
        func.coalesce(Term.placed_at_stage, ApplicationStage.HIRED)
        == ApplicationStage.OFFER,
    )
    return or_(apps.c.stage == ApplicationStage.HIRED, at_offer)


def active(apps: Any) -> ColumnElement[bool]:
    return apps.c.stage.in_([str(stage) for stage in ACTIVE_STAGES])


def count_by(statement: Any, column: str) -> dict[Any, int]:
    """Rows of `statement` counted per value of one of its columns."""
    source = statement.subquery("counted")
    grouped = select(source.c[column], func.count()).group_by(source.c[column])
    return {key: count for key, count in db.session.execute(grouped)}


def seats(portal_id: int, filters: Filters) -> list[dict[str, Any]]:
    """Seats agreed, used and left per partnership in scope.

    Used seats are counted from the applications that hold them now (any stage
    but rejected and withdrawn), not read from the stored counter.
    """
    partnerships = scope.partnerships(portal_id, filters).subquery("partnerships")
    summary = ApplicationSummary
    holding = (
        select(summary.partnership_id, func.count().label("used"))
        .where(
            summary.portal_id == portal_id,
            summary.partnership_id.in_(select(partnerships.c.id)),
            summary.stage.in_([str(stage) for stage in SEAT_HOLDING_STAGES]),
            scope.not_tombstoned(summary, "deal"),
        )
        .group_by(summary.partnership_id)
        .subquery("holding")
    )
    statement = (
        select(
            partnerships.c.id,
            partnerships.c.university_id,
            University.name.label("university_name"),
            partnerships.c.employer_id,
            Employer.name.label("employer_name"),
            partnerships.c.seats_total,
            func.coalesce(holding.c.used, 0).label("used"),
        )
        .join(University, University.id == partnerships.c.university_id)
        .join(Employer, Employer.id == partnerships.c.employer_id)
        .outerjoin(holding, holding.c.partnership_id == partnerships.c.id)
        .where(University.deleted.is_(false()))
        .order_by(Employer.name, University.name, partnerships.c.id)
    )
    return [
        {
            "partnership_id": row.id,
            "university_id": row.university_id,
            "university_name": row.university_name,
            "employer_id": row.employer_id,
            "employer_name": row.employer_name,
            "agreed": row.seats_total,
            "used": row.used,
            "left": max(row.seats_total - row.used, 0),
        }
        for row in db.session.execute(statement)
    ]


def fill_keys(counts: dict[Any, int], keys: Any) -> dict[str, int]:
    """`counts` with every key of `keys` present (0 when absent), as strings."""
    result = {str(key): 0 for key in keys}
    for key, count in counts.items():
        result[str(key)] = result.get(str(key), 0) + count
    return result
