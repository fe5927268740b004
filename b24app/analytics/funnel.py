"""Stage history figures: the funnel, time in each stage, time to hire.

The funnel counts, for each stage, the applications that reached it or a later
stage, so an application that skipped screening still passed it, and one
rejected after an interview still counts as interviewed. The furthest stage
comes from the stage history and from the current stage, whichever is further,
so an application whose history the mirror never received still counts.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    String,
    case,
    cast,
    func,
    literal,
    select,
    tuple_,
    union_all,
)

from b24app.analytics import scope
from b24app.analytics.filters import Filters
from b24app.analytics.sql import (
    duration_summary,
    is_postgresql,
    percentile,
    percentiles_by_group,
)
from b24app.analytics.summary_models import STAY_STAGES, ApplicationSummaryStay
from b24app.extensions import db
from b24app.program.models import ApplicationStage, Term

FUNNEL_STAGES = (
    ApplicationStage.NEW,
    ApplicationStage.SCREENING,
    ApplicationStage.INTERVIEW,
    ApplicationStage.OFFER,
    ApplicationStage.HIRED,
)
STAGE_RANK = {str(stage): rank for rank, stage in enumerate(FUNNEL_STAGES)}


def stage_rank(column: Any) -> Any:
    """Map a stage column to its funnel position, NULL for rejected and withdrawn."""
    return case(STAGE_RANK, value=column, else_=None)


@dataclass
class HistorySummary:
    """The results of one pass over the application summaries.

    `furthest` counts applications by the rank of their furthest stage,
    `duration` is the median and 90th percentile of days to hire (or to
    placement), `hires_by_month` counts first hires per "YYYY-MM".
    """

    furthest: dict[int, int]
    duration: dict[str, Any]
    hires_by_month: dict[str, int]

    @property
    def funnel(self) -> list[dict[str, Any]]:
        return funnel_rows(self.furthest)


def summarize_history(
    portal_id: int, filters: Filters, placement: bool = False
) -> HistorySummary:
    """Compute the funnel, the time to hire or placement and hires per month.

    On PostgreSQL one statement with GROUPING SETS reads the summaries once. On
    SQLite the per-application values are fetched and summed in Python.
    """
    facts = application_facts(portal_id, filters, placement)
    if not is_postgresql():
        return _summarize_in_python(facts)

    seconds = cast(facts.c.seconds, Float)
    statement = select(
        func.grouping(facts.c.furthest).label("by_furthest"),
        func.grouping(facts.c.hired_month).label("by_month"),
        facts.c.furthest,
        facts.c.hired_month,
        func.count().label("applications"),
        func.percentile_cont(0.5).within_group(seconds).label("median"),
        func.percentile_cont(0.9).within_group(seconds).label("p90"),
        func.count(seconds).label("timed"),
    ).group_by(
        func.grouping_sets(
            tuple_(facts.c.furthest), tuple_(facts.c.hired_month), tuple_()
        )
    )

    summary = HistorySummary({}, EMPTY_SUMMARY, {})
    for row in db.session.execute(statement):
        if row.by_furthest == 0:
            summary.furthest[row.furthest] = row.applications
        elif row.by_month == 0:
            if row.hired_month is not None:
                summary.hires_by_month[row.hired_month] = row.applications
        elif row.timed:
            summary.duration = duration_summary(row.median, row.p90, row.timed)
    return summary


def application_facts(portal_id: int, filters: Filters, placement: bool) -> Any:
    """Select per application in scope: furthest rank, seconds to hire (or to
    placement) and the month of the first hire, NULL when not reached."""
    apps = scope.summaries(portal_id, filters).subquery("apps")
    seconds = apps.c.seconds_to_hire
    statement = select(apps.c.furthest_rank.label("furthest"))
    if placement:
        places_at_offer = Term.placed_at_stage == ApplicationStage.OFFER
        seconds = case(
            (places_at_offer, func.coalesce(apps.c.seconds_to_offer, seconds)),
            else_=seconds,
        )
        statement = statement.outerjoin(Term, Term.id == apps.c.term_id)
    return statement.add_columns(seconds.label("seconds"), apps.c.hired_month).subquery(
        "facts"
    )


def _summarize_in_python(facts: Any) -> HistorySummary:
    furthest: dict[int, int] = defaultdict(int)
    hires: dict[str, int] = defaultdict(int)
    durations: list[float] = []
    for rank, seconds, month in db.session.execute(select(facts)):
        furthest[rank] += 1
        if month is not None:
            hires[month] += 1
        if seconds is not None:
            durations.append(float(seconds))

    duration = EMPTY_SUMMARY
    if durations:
        duration = duration_summary(
            percentile(durations, 0.5), percentile(durations, 0.9), len(durations)
        )
    return HistorySummary(dict(furthest), duration, dict(hires))


def funnel(portal_id: int, filters: Filters) -> list[dict[str, Any]]:
    """Count reached stages and stage-to-stage conversion, in funnel order."""
    return summarize_history(portal_id, filters).funnel


def funnel_rows(count_by_furthest_rank: dict[int, int]) -> list[dict[str, Any]]:
    rows = []
    previous = None
    start = None
    for rank, stage in enumerate(FUNNEL_STAGES):
        reached = sum(
            count
            for furthest, count in count_by_furthest_rank.items()
            if furthest >= rank
        )
        start = reached if start is None else start
        rows.append(
            {
                "stage": str(stage),
                "reached": reached,
                "conversion_from_previous": ratio(reached, previous),
                "conversion_from_start": ratio(reached, start),
            }
        )
        previous = reached
    return rows


def stage_durations(portal_id: int, filters: Filters) -> dict[str, dict]:
    """Compute median and 90th percentile days in each stage, finished stays only.

    A stay ends at the application's next stage change; the current, unfinished
    stay of each application is not counted. Each summary row contains the first
    stay per stage, and `application_summary_stay` any later ones.
    """
    # Referenced six times, the CTE is computed once (PostgreSQL materializes it).
    apps = scope.summaries(portal_id, filters).cte("apps")
    stays = [
        select(
            literal(stage, String).label("stage"),
            apps.c[f"{stage}_seconds"].label("seconds"),
        ).where(apps.c[f"{stage}_seconds"].isnot(None))
        for stage in STAY_STAGES
    ]
    later = ApplicationSummaryStay
    stays.append(
        select(later.stage, later.seconds)
        .join(apps, apps.c.id == later.application_id)
        .where(later.portal_id == portal_id)
    )
    by_stage = percentiles_by_group(union_all(*stays), "stage", "seconds")
    return {str(stage): by_stage[stage] for stage in STAGE_RANK if stage in by_stage}


EMPTY_SUMMARY = {"median_days": None, "p90_days": None, "count": 0}


def ratio(part: int, whole: int | None) -> float | None:
    """`part / whole` rounded to 4 places, or None when `whole` is 0 or unknown."""
    if not whole:
        return None
    return round(part / whole, 4)
