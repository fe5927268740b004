"""Keep `application_summary` equal to the applications and their stage history.

`refresh_application_summary` recomputes the rows of some applications from
scratch in SQL, and `rebuild_summaries` does the same for a whole portal. A
session hook calls the refresh after every flush that wrote an Application or
an ApplicationStageChange through the ORM, so services need not remember it.
Writes that bypass the ORM unit of work (Core INSERT/UPDATE statements, COPY)
must call `refresh_application_summary` or `rebuild_summaries` themselves.
The rollups (`b24app.analytics.rollup_writes`) change in the same statements:
a refresh takes off what the old rows added and adds what the new rows add.
Deleting an application through the ORM first takes its rows off (see
`summary_hooks`); a Core DELETE of applications, or of the students,
internships or employers they cascade from, must call `forget_summaries_of`
before it, because the foreign key cascade would drop the rows silently.
"""

import logging
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
    func,
    insert,
    or_,
    select,
)

from b24app.analytics import rollup_state, rollup_writes
from b24app.analytics.funnel import stage_rank
from b24app.analytics.rollup_rebuild import rebuild_rollups
from b24app.analytics.scope import live_employer, not_tombstoned
from b24app.analytics.sql import greatest, month_of, seconds_between
from b24app.analytics.summary_models import (
    STAY_STAGES,
    ApplicationSummary,
    ApplicationSummaryStay,
)
from b24app.extensions import db
from b24app.program.models import (
    Application,
    ApplicationStage,
    ApplicationStageChange,
    Term,
)

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
    if not ids:
        return
    connection = connection or db.session.connection()
    rollup_state.lock_for_write(connection, portal_id)
    for start in range(0, len(ids), REFRESH_BATCH):
        batch = ids[start : start + REFRESH_BATCH]
        before = rollup_writes.take_share(connection, portal_id, batch)
        _write_summaries(
            connection,
            portal_id,
            Application.id.in_(batch),
            ApplicationSummary.application_id.in_(batch),
            ApplicationSummaryStay.application_id.in_(batch),
        )
        rollup_writes.apply_refresh(connection, portal_id, before, batch)
    log.debug("portal %s: %s application summaries refreshed", portal_id, len(ids))


def forget_application_summary(
    portal_id: int, application_ids: Iterable[int], connection: Connection | None = None
) -> None:
    """Delete the summary rows of `application_ids` and take them off the rollups.

    Call it before deleting the applications with a Core statement.
    """
    ids = sorted(set(application_ids))
    if not ids:
        return
    connection = connection or db.session.connection()
    rollup_state.lock_for_write(connection, portal_id)
    for start in range(0, len(ids), REFRESH_BATCH):
        batch = ids[start : start + REFRESH_BATCH]
        before = rollup_writes.take_share(connection, portal_id, batch)
        connection.execute(
            delete(ApplicationSummaryStay).where(
                ApplicationSummaryStay.portal_id == portal_id,
                ApplicationSummaryStay.application_id.in_(batch),
            )
        )
        connection.execute(
            delete(ApplicationSummary).where(
                ApplicationSummary.portal_id == portal_id,
                ApplicationSummary.application_id.in_(batch),
            )
        )
        rollup_writes.apply_refresh(connection, portal_id, before, batch)
    log.debug("portal %s: %s application summaries forgotten", portal_id, len(ids))


def summarized_ids(
    connection: Connection, portal_id: int, column: str, values: Iterable[Any]
) -> list[int]:
    """Ids of the applications whose summary has `column` in `values`."""
    summary = ApplicationSummary
    wanted = [value for value in values if value is not None]
    if not wanted:
        return []
    statement = select(summary.application_id).where(
        summary.portal_id == portal_id, summary.__table__.c[column].in_(wanted)
    )
    return list(connection.execute(statement).scalars())


def refresh_summaries_of(portal_id: int, column: str, values: Iterable[Any]) -> None:
    """Refresh the summaries whose `column` (employer_id, term_id, ...) is in `values`.

    For Core writes that change whether or how applications are counted: an
    employer deleted or restored, a deal tombstoned, a term's placed stage.
    """
    connection = db.session.connection()
    ids = summarized_ids(connection, portal_id, column, values)
    refresh_application_summary(portal_id, ids, connection)


def forget_summaries_of(portal_id: int, column: str, values: Iterable[Any]) -> None:
    """Forget the summaries whose `column` is in `values`, before a Core DELETE."""
    connection = db.session.connection()
    ids = summarized_ids(connection, portal_id, column, values)
    forget_application_summary(portal_id, ids, connection)


def rebuild_summaries(portal_id: int) -> int:
    """Recompute every summary and rollup row of a portal, mark it built, commit.

    The portal's writes wait until the commit (`rollup_state`). Returns the
    number of summary rows.
    """
    connection = db.session.connection()
    rollup_state.lock_for_rebuild(connection, portal_id)
    _write_summaries(connection, portal_id, None, None, None)
    rebuild_rollups(connection, portal_id)
    rollup_state.mark_built(connection, portal_id)
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
            case((_is_counted(), True), else_=False).label("counted"),
            case((_is_placed(), True), else_=False).label("placed"),
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


def _is_counted() -> ColumnElement[bool]:
    """Match applications the figures count, as `scope.summaries` selects them."""
    return and_(
        not_tombstoned(Application, "deal"), live_employer(Application.employer_id)
    )


def _is_placed() -> ColumnElement[bool]:
    """Match applications that place their student, as `measures.placed` does."""
    placed_at = (
        select(Term.placed_at_stage)
        .where(Term.id == Application.term_id)
        .scalar_subquery()
    )
    at_offer = and_(
        Application.stage == ApplicationStage.OFFER,
        func.coalesce(placed_at, ApplicationStage.HIRED) == ApplicationStage.OFFER,
    )
    return or_(Application.stage == ApplicationStage.HIRED, at_offer)


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
