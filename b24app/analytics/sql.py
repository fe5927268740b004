"""SQL pieces that differ between PostgreSQL and SQLite, and percentile math.

PostgreSQL computes medians and 90th percentiles with `percentile_cont`; SQLite
has no ordered-set aggregates, so there the durations are fetched and the same
linear interpolation runs in Python.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    case,
    cast,
    func,
    select,
    text,
)

from b24app.extensions import db

# Sort and hash memory for the analytics statements of one transaction. The
# PostgreSQL default of 4 MB sends the sorts of a large portal's stage history
# to disk. Each sort or hash node of a statement may use this much.
ANALYTICS_WORK_MEM = "32MB"


def tune_transaction() -> None:
    """Raise `work_mem` on PostgreSQL until the current transaction ends."""
    if is_postgresql():
        db.session.execute(text(f"SET LOCAL work_mem = '{ANALYTICS_WORK_MEM}'"))


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def is_postgresql() -> bool:
    return dialect_name() == "postgresql"


def seconds_between(end: Any, start: Any) -> ColumnElement:
    """Seconds from `start` to `end`, as a float column."""
    if is_postgresql():
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def month_of(column: Any) -> ColumnElement:
    """Format a timestamp column as its "YYYY-MM" month (UTC on PostgreSQL)."""
    if is_postgresql():
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_after(day: date) -> datetime:
    return day_start(day + timedelta(days=1))


def percentiles_by_group(
    statement: Select, key: str, value: str
) -> dict[Any, dict[str, float | int]]:
    """Median, 90th percentile and count of `value` per `key` of `statement`.

    `statement` selects the two labelled columns; groups with no values are absent.
    """
    source = statement.subquery("durations")
    key_column = source.c[key]
    value_column = cast(source.c[value], Float)

    if is_postgresql():
        grouped = select(
            key_column,
            func.percentile_cont(0.5).within_group(value_column),
            func.percentile_cont(0.9).within_group(value_column),
            func.count(),
        ).group_by(key_column)
        return {
            row[0]: duration_summary(row[1], row[2], row[3])
            for row in db.session.execute(grouped)
        }

    values: dict[Any, list[float]] = defaultdict(list)
    rows = db.session.execute(select(key_column, value_column))
    for group, seconds in rows:
        if seconds is not None:
            values[group].append(float(seconds))
    return {
        group: duration_summary(
            percentile(items, 0.5), percentile(items, 0.9), len(items)
        )
        for group, items in values.items()
    }


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """Compute `percentile_cont` of `values`: linear interpolation between ranks."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    weight = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * weight


def duration_summary(median: Any, p90: Any, count: int) -> dict[str, float | int]:
    """Turn seconds into days rounded to 2 places, with the number of values."""
    return {
        "median_days": _days(median),
        "p90_days": _days(p90),
        "count": int(count),
    }


def _days(seconds: Any) -> float | None:
    if seconds is None:
        return None
    return round(float(seconds) / 86400.0, 2)


def floor_integer(value: Any, dialect_name: str) -> ColumnElement:
    """Round `value` down to an integer column.

    SQLite has `floor` only when built with its math functions, so there the
    truncation toward zero is corrected for negative values.
    """
    if dialect_name == "postgresql":
        return cast(func.floor(value), Integer)
    truncated = cast(value, Integer)
    return case((value < truncated, truncated - 1), else_=truncated)


def greatest(first: Any, second: Any) -> ColumnElement:
    """Return the larger of two values (SQLite's two-argument `max`)."""
    if is_postgresql():
        return func.greatest(first, second)
    return func.max(first, second)
