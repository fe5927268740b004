"""Keep `application_summary` equal to the applications and their stage history.

`refresh_application_summary` recomputes the rows of some applications from
scratch in SQL, and `rebuild_summaries` does the same for a whole portal. A
session hook calls the refresh after every flush that wrote an Application or
an ApplicationStageChange through the ORM, so services need not remember it.
Writes that bypass the ORM unit of work (Core INSERT/UPDATE statements, COPY)
must call `refresh_application_summary` or `rebuild_summaries` themselves.
Deleting an application deletes its rows through the foreign key cascade.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    and_,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.orm import Session

from b24app.analytics.funnel import stage_rank
from b24app.analytics.sql import greatest, month_of, seconds_between
from b24app.analytics.summary_models import (
    STAY_STAGES,
    ApplicationSummary,
    ApplicationSummaryStay,
)
from b24app.extensions import db
from b24app.program.models import Application, ApplicationStageChange

log = logging.getLogger(__name__)

# Ids per statement, so an IN list stays a reasonable size.
REFRESH_BATCH = 1000


def refresh_application_summary(
    portal_id: int, application_ids: Iterable[int], connection: Connection | None = None
) -> None:
    """Recompute the summary rows of `application_ids` in the current transaction.

    Ids of deleted applications, or of another portal's, leave no row behind.
    """
    ids = sorted(set(application_ids))
    connection = connection or db.session.connection()
    for start in range(0, len(ids), REFRESH_BATCH):
        batch = ids[start : start + REFRESH_BATCH]
        _write_summaries(
            connection,
            portal_id,
            Application.id.in_(batch),
            ApplicationSummary.application_id.in_(batch),
            ApplicationSummaryStay.application_id.in_(batch),
        )
    log.debug("portal %s: %s application summaries refreshed", portal_id, len(ids))


def rebuild_summaries(portal_id: int) -> int:
    """Recompute every summary row of a portal and commit; return the row count."""
    connection = db.session.connection()
    _write_summaries(connection, portal_id, None, None, None)
    count = db.session.execute(
        select(func.count()).where(ApplicationSummary.portal_id == portal_id)
    ).scalar_one()
    db.session.commit()
    log.info("portal %s: %s application summaries rebuilt", portal_id, count)
    return count


def _write_summaries(
    connection: Connection,
    portal_id: int,
    applications: ColumnElement[bool] | None,
    summaries: ColumnElement[bool] | None,
    stays: ColumnElement[bool] | None,
) -> None:
    in_portal = Application.portal_id == portal_id
    if applications is not None:
        in_portal = and_(in_portal, applications)

    summary_rows = delete(ApplicationSummary).where(
        ApplicationSummary.portal_id == portal_id
    )
    stay_rows = delete(ApplicationSummaryStay).where(
        ApplicationSummaryStay.portal_id == portal_id
    )
    if summaries is not None:
        summary_rows = summary_rows.where(summaries)
        stay_rows = stay_rows.where(stays)
    connection.execute(stay_rows)
    connection.execute(summary_rows)

    ordered = _ordered_changes(in_portal)
    summary = _summary_select(in_portal, _history(ordered))
    connection.execute(
        insert(ApplicationSummary).from_select(
            [column.key for column in summary.selected_columns], summary
        )
    )
    connection.execute(
        insert(ApplicationSummaryStay).from_select(
            ["portal_id", "application_id", "stage", "seconds"], _later_stays(ordered)
        )
    )


def _ordered_changes(applications: ColumnElement[bool]) -> Any:
    """Select each stage change with its stay in seconds and its visit number.

    A stay ends at the application's next change; the last stay has no end.
    """
    change = ApplicationStageChange
    order = (change.changed_at, change.id)
    next_change_at = func.lead(change.changed_at).over(
        partition_by=change.application_id, order_by=order
    )
    visit = func.row_number().over(
        partition_by=(change.application_id, change.to_stage), order_by=order
    )
    return (
        select(
            change.portal_id,
            change.application_id,
            change.to_stage,
            change.changed_at,
            cast(seconds_between(next_change_at, change.changed_at), Float).label(
                "seconds"
            ),
            visit.label("visit"),
        )
        .join(Application, Application.id == change.application_id)
        .where(change.portal_id == Application.portal_id, applications)
        .subquery("ordered")
    )


def _history(ordered: Any) -> Any:
    """Aggregate per application: furthest rank, first offer and hire, first stays."""
    first_at = {
        name: func.min(case((ordered.c.to_stage == name, ordered.c.changed_at)))
        for name in ("offer", "hired")
    }
    first_stays = [
        func.max(
            case(
                (
                    and_(ordered.c.to_stage == stage, ordered.c.visit == 1),
                    ordered.c.seconds,
                )
            )
        ).label(f"{stage}_seconds")
        for stage in STAY_STAGES
    ]
    return (
        select(
            ordered.c.application_id,
            func.max(stage_rank(ordered.c.to_stage)).label("max_rank"),
            first_at["offer"].label("offer_at"),
            first_at["hired"].label("hired_at"),
            *first_stays,
        )
        .group_by(ordered.c.application_id)
        .subquery("history")
    )


def _summary_select(applications: ColumnElement[bool], history: Any) -> Any:
    furthest = greatest(
        func.coalesce(history.c.max_rank, 0),
        func.coalesce(stage_rank(Application.stage), 0),
    )
    return (
        select(
            Application.id.label("application_id"),
            Application.portal_id,
            Application.bitrix_id,
            Application.student_id,
            Application.internship_id,
            Application.employer_id,
            Application.university_id,
            Application.term_id,
            Application.partnership_id,
            Application.assigned_user_id,
            Application.stage,
            Application.source,
            Application.created_at,
            month_of(Application.created_at).label("created_month"),
            furthest.label("furthest_rank"),
            history.c.offer_at,
            history.c.hired_at,
            month_of(history.c.hired_at).label("hired_month"),
            cast(
                seconds_between(history.c.offer_at, Application.created_at), Float
            ).label("seconds_to_offer"),
            cast(
                seconds_between(history.c.hired_at, Application.created_at), Float
            ).label("seconds_to_hire"),
            *(history.c[f"{stage}_seconds"] for stage in STAY_STAGES),
        )
        .outerjoin(history, history.c.application_id == Application.id)
        .where(applications)
    )


def _later_stays(ordered: Any) -> Any:
    return select(
        ordered.c.portal_id,
        ordered.c.application_id,
        ordered.c.to_stage,
        ordered.c.seconds,
    ).where(
        ordered.c.visit > 1,
        ordered.c.seconds.isnot(None),
        ordered.c.to_stage.in_(STAY_STAGES),
    )


def install_session_hooks() -> None:
    """Refresh the summaries of applications whose rows a flush wrote."""
    if not event.contains(Session, "after_flush", _refresh_flushed):
        event.listen(Session, "after_flush", _refresh_flushed)


def _refresh_flushed(session: Session, flush_context: Any) -> None:
    # After a flush, `new`, `dirty` and `deleted` still list the flushed objects.
    touched: dict[int, set[int]] = defaultdict(set)
    for instance in (*session.new, *session.dirty, *session.deleted):
        for portal_id, application_id in _touched_applications(instance):
            if portal_id is not None and application_id is not None:
                touched[portal_id].add(application_id)

    for portal_id, application_ids in touched.items():
        refresh_application_summary(
            portal_id, application_ids, connection=session.connection()
        )


def _touched_applications(instance: Any) -> list[tuple[int | None, int | None]]:
    if isinstance(instance, Application):
        return [(instance.portal_id, instance.id)]
    if not isinstance(instance, ApplicationStageChange):
        return []

    # A change moved to another application leaves the old one to refresh too.
    history = inspect(instance).attrs.application_id.history
    ids = {instance.application_id, *history.deleted}
    return [(instance.portal_id, application_id) for application_id in ids]
