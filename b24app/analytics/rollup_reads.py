"""Dashboard figures read from the rollups, for a whole portal or one term.

The results equal what `rollups` computes from the summaries of the same scope
(the tests compare both). Percentiles are exact. The histogram gives the
bucket that contains each needed rank. The values from that bucket on are read
in order from the `ix_duration_value_rank` index, which skips the lower ranks
of the bucket and returns two values per percentile.
"""

import math
from typing import Any, NamedTuple

from sqlalchemy import Integer, false, func, literal, select, union_all

from b24app.analytics.filters import Filters
from b24app.analytics.funnel import EMPTY_SUMMARY, STAGE_RANK
from b24app.analytics.rollup_models import (
    ALL_TERMS,
    DurationBucket,
    DurationValue,
    FigureCount,
    UniversityCount,
)
from b24app.analytics.rollup_writes import TIME_TO_HIRE
from b24app.analytics.sql import duration_summary
from b24app.extensions import db
from b24app.program.models import University

Histogram = list[tuple[int, int]]
PERCENTILES = (0.5, 0.9)


class Probe(NamedTuple):
    """The place of one percentile: its measure, rank position and bucket."""

    measure: str
    total: int
    position: float
    start: int
    below: int


def covers(filters: Filters) -> bool:
    """Return whether the rollups contain this scope: the whole portal or one term."""
    narrowed = filters.to_dict()
    narrowed.pop("term_id", None)
    return not narrowed


def count_groups(portal_id: int, filters: Filters) -> dict[tuple[str, ...], dict]:
    """Count applications per value of each dashboard group.

    The result has the shape `rollups.count_by_columns` returns for the groups
    stage, source, created_month, furthest_rank, hired_month and
    (assigned_user_id, stage).
    """
    count = FigureCount
    statement = select(count.dimension, count.key, func.sum(count.n)).where(
        count.portal_id == portal_id
    )
    if filters.term_id:
        statement = statement.where(count.term_key == filters.term_id)
    statement = statement.group_by(count.dimension, count.key)

    groups: dict[tuple[str, ...], dict] = {
        (name,): {}
        for name in ("stage", "source", "created_month", "furthest_rank", "hired_month")
    }
    groups[("assigned_user_id", "stage")] = {}
    for dimension, key, n in db.session.execute(statement):
        if not n:
            continue
        if dimension == "recruiter_stage":
            user_id, stage = key.split(":", 1)
            groups[("assigned_user_id", "stage")][(int(user_id), stage)] = n
        elif dimension == "furthest_rank":
            groups[("furthest_rank",)][int(key)] = n
        else:
            groups[(dimension,)][key] = n
    return groups


def by_university(portal_id: int, filters: Filters) -> list[dict[str, Any]]:
    """Applications, applying students and placed students per university."""
    count = UniversityCount
    statement = (
        select(
            University.id,
            University.name,
            count.applications,
            count.students,
            count.placed_students,
        )
        .join(University, University.id == count.university_id)
        .where(
            count.portal_id == portal_id,
            count.term_key == (filters.term_id or ALL_TERMS),
            count.applications > 0,
            University.portal_id == portal_id,
            University.deleted.is_(false()),
        )
        .order_by(count.applications.desc(), University.name)
    )
    return [
        {
            "university_id": row.id,
            "university_name": row.name,
            "applications": row.applications,
            "students": row.students,
            "placed": row.placed_students,
        }
        for row in db.session.execute(statement)
    ]


def timings(portal_id: int, filters: Filters) -> tuple[dict[str, dict], dict]:
    """Compute days in each stage and days to hire: (stage_durations, time_to_hire).

    Same medians and 90th percentiles as `rollups.timings` (`percentile_cont`).
    """
    probes = []
    for measure, histogram in _histograms(portal_id, filters).items():
        total = sum(n for _, n in histogram)
        for fraction in PERCENTILES:
            position = fraction * (total - 1)
            start, below = _bucket_of_rank(histogram, math.floor(position))
            probes.append(Probe(measure, total, position, start, below))
    values = _read_ranks(portal_id, filters, probes)

    summaries = {}
    for index in range(0, len(probes), len(PERCENTILES)):
        median, p90 = (
            _interpolate(values[index + offset], probes[index + offset].position)
            for offset in range(len(PERCENTILES))
        )
        probe = probes[index]
        summaries[probe.measure] = duration_summary(median, p90, probe.total)

    time_to_hire = summaries.pop(TIME_TO_HIRE, EMPTY_SUMMARY)
    stage_durations = {
        stage: summaries[stage] for stage in STAGE_RANK if stage in summaries
    }
    return stage_durations, time_to_hire


def _histograms(portal_id: int, filters: Filters) -> dict[str, Histogram]:
    bucket = DurationBucket
    statement = select(bucket.measure, bucket.bucket, func.sum(bucket.n)).where(
        bucket.portal_id == portal_id
    )
    if filters.term_id:
        statement = statement.where(bucket.term_key == filters.term_id)
    statement = statement.group_by(bucket.measure, bucket.bucket).order_by(
        bucket.measure, bucket.bucket
    )

    histograms: dict[str, Histogram] = {}
    for measure, number, n in db.session.execute(statement):
        if n:
            histograms.setdefault(measure, []).append((number, n))
    return histograms


def _read_ranks(
    portal_id: int, filters: Filters, probes: list[Probe]
) -> list[list[float]]:
    """Read, per probe, the value at its lower rank and the next one, ascending.

    One statement reads them all: each part skips the lower ranks of the
    probe's first bucket in the `ix_duration_value_rank` index.
    """
    if not probes:
        return []
    value = DurationValue
    parts = []
    for index, probe in enumerate(probes):
        part = (
            select(literal(index, Integer).label("probe"), value.seconds)
            .where(
                value.portal_id == portal_id,
                value.measure == probe.measure,
                value.bucket >= probe.start,
            )
            .order_by(value.bucket, value.seconds)
            .offset(math.floor(probe.position) - probe.below)
            .limit(2)
        )
        if filters.term_id:
            part = part.where(value.term_key == filters.term_id)
        parts.append(select(part.subquery()))

    values: list[list[float]] = [[] for _ in probes]
    for index, seconds in db.session.execute(union_all(*parts)):
        values[index].append(seconds)
    return [sorted(pair) for pair in values]


def _interpolate(values: list[float], position: float) -> float:
    """Interpolate between the ranks around `position`, as percentile_cont does."""
    weight = position - math.floor(position)
    if weight == 0 or len(values) == 1:
        return values[0]
    return values[0] + (values[1] - values[0]) * weight


def _bucket_of_rank(histogram: Histogram, rank: int) -> tuple[int, int]:
    """Return the bucket that contains `rank` and the number of values below it."""
    below = 0
    for number, n in histogram:
        if below + n > rank:
            return number, below
        below += n
    raise ValueError(f"rank {rank} is outside a histogram of {below} values")
