"""Dashboard figures computed in as few passes over the summaries as possible.

The whole portal and single terms are read from the rollup tables instead
(`rollup_reads`); these passes serve the narrower scopes (a university,
employer, internship or date range) and the tests that check the rollups.
Each pass re-reads every application in scope. Counts by several columns share
one GROUPING SETS pass, and the percentiles of every stage and of time to hire
share one pass of ordered-set aggregates, on PostgreSQL. SQLite runs one query per count
and computes percentiles in Python, with the same results.
"""

from typing import Any

from sqlalchemy import Select, exists, func, literal, select, tuple_

from b24app.analytics import funnel, scope
from b24app.analytics.filters import Filters
from b24app.analytics.sql import (
    duration_summary,
    is_postgresql,
    percentiles_by_group,
)
from b24app.analytics.summary_models import STAY_STAGES, ApplicationSummaryStay
from b24app.extensions import db


def count_by_columns(
    statement: Select, groups: list[tuple[str, ...]]
) -> dict[tuple[str, ...], dict[Any, int]]:
    """Count the rows of `statement` per value of each group of named columns.

    The counts of a one-column group are keyed by the value, those of a longer
    group by the tuple of values.
    """
    source = statement.subquery("counted")
    names = list(dict.fromkeys(name for group in groups for name in group))
    if not is_postgresql():
        return {group: _count_one_group(source, group) for group in groups}

    flags = [func.grouping(source.c[name]) for name in names]
    grouped = select(
        *flags, *(source.c[name] for name in names), func.count()
    ).group_by(
        func.grouping_sets(
            *(tuple_(*(source.c[name] for name in group)) for group in groups)
        )
    )
    counts: dict[tuple[str, ...], dict[Any, int]] = {group: {} for group in groups}
    width = len(names)
    for row in db.session.execute(grouped):
        # GROUPING() is 0 for the columns this row is grouped by.
        grouped_by = {
            name for name, flag in zip(names, row[:width], strict=True) if flag == 0
        }
        group = next(group for group in groups if set(group) == grouped_by)
        values = tuple(row[width + names.index(name)] for name in group)
        counts[group][values[0] if len(values) == 1 else values] = row[-1]
    return counts


def _count_one_group(source: Any, group: tuple[str, ...]) -> dict[Any, int]:
    columns = [source.c[name] for name in group]
    rows = db.session.execute(select(*columns, func.count()).group_by(*columns))
    if len(group) == 1:
        return {row[0]: row[1] for row in rows}
    return {tuple(row[:-1]): row[-1] for row in rows}


def timings(portal_id: int, filters: Filters) -> tuple[dict[str, dict], dict]:
    """Compute days in each stage and days to hire: (stage_durations, time_to_hire).

    Both are medians and 90th percentiles over the applications in scope, as
    `funnel.stage_durations` and `funnel.summarize_history` define them.
    """
    if is_postgresql() and not _has_later_stays(portal_id):
        return _timings_in_one_pass(portal_id, filters)

    apps = scope.summaries(portal_id, filters).subquery("apps")
    hire = select(literal(1).label("all"), apps.c.seconds_to_hire.label("seconds"))
    by_all = percentiles_by_group(
        hire.where(apps.c.seconds_to_hire.isnot(None)), "all", "seconds"
    )
    time_to_hire = by_all.get(1, funnel.EMPTY_SUMMARY)
    return funnel.stage_durations(portal_id, filters), time_to_hire


def _has_later_stays(portal_id: int) -> bool:
    stay = ApplicationSummaryStay
    statement = select(exists().where(stay.portal_id == portal_id))
    return db.session.execute(statement).scalar_one()


def _timings_in_one_pass(
    portal_id: int, filters: Filters
) -> tuple[dict[str, dict], dict]:
    """Read the summaries once; valid when no application stayed twice in a stage.

    The ordered-set aggregates skip NULLs, so each column's percentiles cover
    exactly the applications with a finished stay in that stage.
    """
    apps = scope.summaries(portal_id, filters).subquery("apps")
    columns = {stage: apps.c[f"{stage}_seconds"] for stage in STAY_STAGES}
    columns["time_to_hire"] = apps.c.seconds_to_hire
    aggregates = []
    for column in columns.values():
        aggregates += [
            func.percentile_cont(0.5).within_group(column),
            func.percentile_cont(0.9).within_group(column),
            func.count(column),
        ]
    row = db.session.execute(select(*aggregates)).one()

    summaries = {}
    for index, name in enumerate(columns):
        median, p90, count = row[3 * index : 3 * index + 3]
        if count:
            summaries[name] = duration_summary(median, p90, count)
    time_to_hire = summaries.pop("time_to_hire", funnel.EMPTY_SUMMARY)
    return summaries, time_to_hire
