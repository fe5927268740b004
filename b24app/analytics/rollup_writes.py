"""Keep the rollups equal to the counted application summaries.

`refresh_application_summary` brackets its rewrite of some summaries with
`take_share` (what those applications added before) and `add_share` (what they
add now). The difference is applied with upserts of the form `n = n + delta`,
so two workers that change applications of the same group at once both land.
Rows of every table are written in key order, so concurrent writers lock the
rows they share in the same order.

`b24app.analytics.rollup_rebuild` recomputes a whole portal from its summaries.
"""

import functools
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from b24app.analytics.rollup_models import (
    ALL_TERMS,
    BUCKET_SECONDS,
    NO_TERM,
    DurationBucket,
    DurationValue,
    FigureCount,
    StudentCount,
    UniversityCount,
)
from b24app.analytics.sql import floor_integer
from b24app.analytics.summary_models import (
    STAY_STAGES,
    ApplicationSummary,
    ApplicationSummaryStay,
)

log = logging.getLogger(__name__)

# Keys per DELETE statement, so an IN list stays a reasonable size.
DELETE_BATCH = 500
TIME_TO_HIRE = "time_to_hire"
# The summary columns a counted application's figure counts depend on.
COUNTED_COLUMNS = (
    "term_id",
    "stage",
    "source",
    "created_month",
    "furthest_rank",
    "hired_month",
    "assigned_user_id",
)

StudentKey = tuple[int, int, int]


@dataclass
class Share:
    """The amounts some applications add to the rollups, negative when taken off."""

    counts: Counter = field(default_factory=Counter)
    buckets: Counter = field(default_factory=Counter)
    applications: Counter = field(default_factory=Counter)
    placed: Counter = field(default_factory=Counter)

    def subtract(self, other: "Share") -> "Share":
        result = Share()
        for name in ("counts", "buckets", "applications", "placed"):
            merged = Counter(getattr(self, name))
            merged.subtract(getattr(other, name))
            setattr(result, name, Counter({k: v for k, v in merged.items() if v}))
        return result


def term_key(term_id: int | None) -> int:
    return NO_TERM if term_id is None else term_id


def count_keys(row: Any) -> list[tuple[str, str]]:
    """Return the (dimension, key) pairs that one counted summary row adds 1 to."""
    keys = [
        ("stage", row.stage),
        ("source", row.source),
        ("created_month", row.created_month),
        ("furthest_rank", str(row.furthest_rank)),
    ]
    if row.hired_month is not None:
        keys.append(("hired_month", row.hired_month))
    if row.assigned_user_id is not None:
        keys.append(("recruiter_stage", f"{row.assigned_user_id}:{row.stage}"))
    return keys


def take_share(connection: Connection, portal_id: int, ids: Sequence[int]) -> Share:
    """Read what applications `ids` added, and delete their duration values."""
    share = _summary_share(connection, portal_id, ids)
    parameters = {"portal_id": portal_id, "ids": list(ids)}
    removed = connection.execute(_duration_values_delete(), parameters)
    for row in removed:
        share.buckets[(row.term_key, row.measure, row.bucket)] += 1
    return share


def add_share(connection: Connection, portal_id: int, ids: Sequence[int]) -> Share:
    """Write the duration values of applications `ids`; return what they add."""
    share = _summary_share(connection, portal_id, ids)
    statement = _chosenduration_values_insert(connection.dialect.name)
    parameters = {"portal_id": portal_id, "ids": list(ids)}
    for row in connection.execute(statement, parameters):
        share.buckets[(row.term_key, row.measure, row.bucket)] += 1
    return share


# The statements of a refresh are built once: building them per call cost more
# Python time than running them.


@functools.cache
def _counted_summaries() -> Any:
    summary = ApplicationSummary
    return select(
        *(summary.__table__.c[name] for name in COUNTED_COLUMNS),
        summary.university_id,
        summary.student_id,
        summary.placed,
    ).where(
        summary.portal_id == bindparam("portal_id"),
        summary.application_id.in_(bindparam("ids", expanding=True)),
        summary.counted,
    )


@functools.cache
def _duration_values_delete() -> Any:
    value = DurationValue
    return (
        delete(value)
        .where(
            value.portal_id == bindparam("portal_id"),
            value.application_id.in_(bindparam("ids", expanding=True)),
        )
        .returning(value.term_key, value.measure, value.bucket)
    )


@functools.cache
def _chosenduration_values_insert(dialect_name: str) -> Any:
    summary = ApplicationSummary
    chosen = and_(
        summary.application_id.in_(bindparam("ids", expanding=True)),
        summary.counted,
    )
    statement = duration_values_insert(dialect_name, bindparam("portal_id"), chosen)
    value = DurationValue
    return statement.returning(value.term_key, value.measure, value.bucket)


def _summary_share(connection: Connection, portal_id: int, ids: Sequence[int]) -> Share:
    parameters = {"portal_id": portal_id, "ids": list(ids)}
    rows = connection.execute(_counted_summaries(), parameters)
    share = Share()
    for row in rows:
        term = term_key(row.term_id)
        for dimension, key in count_keys(row):
            share.counts[(term, dimension, key)] += 1
        if row.university_id is None:
            continue
        for scope_term in (term, ALL_TERMS):
            student = (scope_term, row.university_id, row.student_id)
            share.applications[student] += 1
            share.placed[student] += int(bool(row.placed))
    return share


def apply_share(connection: Connection, portal_id: int, change: Share) -> None:
    """Add `change` to the rollup rows of a portal."""
    _add_rows(
        connection,
        FigureCount,
        ("term_key", "dimension", "key"),
        ("n",),
        {key: (n,) for key, n in change.counts.items()},
        portal_id,
    )
    _add_rows(
        connection,
        DurationBucket,
        ("term_key", "measure", "bucket"),
        ("n",),
        {key: (n,) for key, n in change.buckets.items()},
        portal_id,
    )
    _apply_student_change(connection, portal_id, change)


def _apply_student_change(
    connection: Connection, portal_id: int, change: Share
) -> None:
    """Add to the student counters, then count students who started or stopped.

    The upsert returns each counter after the change, under the row lock, so
    the value before it is exact even when another worker changes the same
    student at the same time.
    """
    keys = set(change.applications) | set(change.placed)
    deltas = {key: (change.applications[key], change.placed[key]) for key in keys}
    after = _add_rows(
        connection,
        StudentCount,
        ("term_key", "university_id", "student_id"),
        ("applications", "placed"),
        deltas,
        portal_id,
    )

    # Per (term_key, university): applications, students, placed students.
    rows: dict[tuple, list[int]] = {}
    emptied = []
    for key, (applications, placed) in after.items():
        delta_applications, delta_placed = deltas[key]
        totals = rows.setdefault(key[:2], [0, 0, 0])
        totals[0] += delta_applications
        totals[1] += _started(applications, delta_applications)
        totals[2] += _started(placed, delta_placed)
        if applications == 0:
            emptied.append(key)

    _add_rows(
        connection,
        UniversityCount,
        ("term_key", "university_id"),
        ("applications", "students", "placed_students"),
        {key: tuple(values) for key, values in rows.items() if any(values)},
        portal_id,
    )
    _delete_empty_students(connection, portal_id, emptied)


def _started(after: int, delta: int) -> int:
    """+1 when a counter became positive, -1 when it dropped to 0, else 0."""
    before = after - delta
    return int(after > 0) - int(before > 0)


def _delete_empty_students(
    connection: Connection, portal_id: int, keys: list[StudentKey]
) -> None:
    student = StudentCount
    columns = tuple_(student.term_key, student.university_id, student.student_id)
    for start in range(0, len(keys), DELETE_BATCH):
        connection.execute(
            delete(student).where(
                student.portal_id == portal_id,
                columns.in_(keys[start : start + DELETE_BATCH]),
                student.applications == 0,
            )
        )


def _add_rows(
    connection: Connection,
    model: Any,
    key_columns: Sequence[str],
    value_columns: Sequence[str],
    deltas: dict[tuple, tuple[int, ...]],
    portal_id: int,
) -> dict[tuple, tuple[int, ...]]:
    """Upsert `value = value + delta` per key; return the values after it.

    One statement runs as an executemany, which SQLAlchemy sends as multi-row
    INSERTs in parameter order and compiles once per table.
    """
    ordered = sorted(key for key, values in deltas.items() if any(values))
    if not ordered:
        return {}
    rows = [
        {
            "portal_id": portal_id,
            **dict(zip(key_columns, key, strict=True)),
            **dict(zip(value_columns, deltas[key], strict=True)),
        }
        for key in ordered
    ]
    statement = _upsert_adding(
        connection.dialect.name, model, tuple(key_columns), tuple(value_columns)
    )
    width = len(key_columns)
    result = connection.execute(statement, rows)
    return {tuple(row[:width]): tuple(row[width:]) for row in result}


@functools.cache
def _upsert_adding(
    dialect_name: str,
    model: Any,
    key_columns: tuple[str, ...],
    value_columns: tuple[str, ...],
) -> Any:
    table = model.__table__
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["portal_id", *key_columns],
        set_={name: table.c[name] + statement.excluded[name] for name in value_columns},
    )
    returned = (table.c[name] for name in (*key_columns, *value_columns))
    return statement.returning(*returned)


def duration_values_insert(
    dialect_name: str, portal_id: Any, chosen: ColumnElement[bool]
) -> Any:
    """Build the INSERT of every finished stay and time to hire of the summaries."""
    summary = ApplicationSummary
    term = func.coalesce(summary.term_id, NO_TERM)

    measures = [
        (stage, summary.__table__.c[f"{stage}_seconds"]) for stage in STAY_STAGES
    ]
    measures.append((TIME_TO_HIRE, summary.seconds_to_hire))
    parts = [
        _duration_select(summary, term, literal(name, String), column)
        for name, column in measures
    ]
    later = ApplicationSummaryStay
    parts.append(
        _duration_select(summary, term, later.stage, later.seconds).join(
            later, later.application_id == summary.application_id
        )
    )

    values = union_all(
        *(part.where(summary.portal_id == portal_id, chosen) for part in parts)
    ).subquery("durations")
    bucket = floor_integer(values.c.seconds / float(BUCKET_SECONDS), dialect_name)
    columns = ["portal_id", "application_id", "term_key", "measure", "bucket"]
    return insert(DurationValue).from_select(
        [*columns, "seconds"],
        select(
            values.c.portal_id,
            values.c.application_id,
            values.c.term_key,
            values.c.measure,
            bucket,
            values.c.seconds,
        ),
    )


def _duration_select(summary: Any, term: Any, measure: Any, seconds: Any) -> Any:
    return select(
        summary.portal_id.label("portal_id"),
        summary.application_id.label("application_id"),
        term.label("term_key"),
        measure.label("measure"),
        cast(seconds, Float).label("seconds"),
    ).where(seconds.isnot(None))


def apply_refresh(
    connection: Connection, portal_id: int, before: Share, ids: Iterable[int]
) -> None:
    """Add what applications `ids` add now, minus `before`, to the rollups."""
    now = add_share(connection, portal_id, list(ids))
    apply_share(connection, portal_id, now.subtract(before))
