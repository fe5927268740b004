"""Recompute the rollups of a whole portal from its application summaries.

The per-key logic is shared with the incremental writes (`count_keys`,
`duration_values_insert`), so a rebuild and a refresh produce the same rows.
"""

import logging
from collections import Counter

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
)

from b24app.analytics.rollup_models import (
    ALL_TERMS,
    NO_TERM,
    DurationBucket,
    DurationValue,
    FigureCount,
    StudentCount,
    UniversityCount,
)
from b24app.analytics.rollup_writes import (
    COUNTED_COLUMNS,
    count_keys,
    duration_values_insert,
    term_key,
)
from b24app.analytics.summary_models import ApplicationSummary

log = logging.getLogger(__name__)


def rebuild_rollups(connection: Connection, portal_id: int) -> None:
    """Recompute every rollup row of a portal from its summaries."""
    for model in (
        FigureCount,
        DurationBucket,
        DurationValue,
        StudentCount,
        UniversityCount,
    ):
        connection.execute(delete(model).where(model.portal_id == portal_id))

    summary = ApplicationSummary
    counted = and_(summary.portal_id == portal_id, summary.counted)
    dialect_name = connection.dialect.name
    connection.execute(duration_values_insert(dialect_name, portal_id, counted))
    _rebuild_buckets(connection, portal_id)
    _rebuild_counts(connection, portal_id, counted)
    _rebuild_students(connection, portal_id, counted)
    log.info("portal %s: rollups rebuilt", portal_id)


def _rebuild_buckets(connection: Connection, portal_id: int) -> None:
    value = DurationValue
    grouped = (
        select(
            value.portal_id,
            value.term_key,
            value.measure,
            value.bucket,
            func.count(),
        )
        .where(value.portal_id == portal_id)
        .group_by(value.portal_id, value.term_key, value.measure, value.bucket)
    )
    connection.execute(
        insert(DurationBucket).from_select(
            ["portal_id", "term_key", "measure", "bucket", "n"], grouped
        )
    )


def _rebuild_counts(
    connection: Connection, portal_id: int, counted: ColumnElement[bool]
) -> None:
    """Count per combination of the counted columns in SQL, then per key in Python.

    The combinations are far fewer than the applications, and `count_keys`
    stays the one definition of the keys.
    """
    columns = [ApplicationSummary.__table__.c[name] for name in COUNTED_COLUMNS]
    rows = connection.execute(
        select(*columns, func.count().label("applications"))
        .where(counted)
        .group_by(*columns)
    )
    counts: Counter = Counter()
    for row in rows:
        term = term_key(row.term_id)
        for dimension, key in count_keys(row):
            counts[(term, dimension, key)] += row.applications
    _insert_counts(connection, portal_id, counts)


def _insert_counts(connection: Connection, portal_id: int, counts: Counter) -> None:
    rows = [
        {
            "portal_id": portal_id,
            "term_key": term,
            "dimension": dimension,
            "key": key,
            "n": n,
        }
        for (term, dimension, key), n in sorted(counts.items())
    ]
    if rows:
        connection.execute(insert(FigureCount), rows)


def _rebuild_students(
    connection: Connection, portal_id: int, counted: ColumnElement[bool]
) -> None:
    summary = ApplicationSummary
    placed = cast(summary.placed, Integer)
    per_term = select(
        summary.portal_id,
        func.coalesce(summary.term_id, NO_TERM).label("term_key"),
        summary.university_id,
        summary.student_id,
        func.count().label("applications"),
        func.sum(placed).label("placed"),
    ).where(counted, summary.university_id.isnot(None))
    all_terms = per_term.with_only_columns(
        summary.portal_id,
        literal(ALL_TERMS, Integer).label("term_key"),
        summary.university_id,
        summary.student_id,
        func.count().label("applications"),
        func.sum(placed).label("placed"),
    )
    names = ["portal_id", "term_key", "university_id", "student_id"]
    for statement, group in (
        (per_term, (summary.portal_id, summary.term_id)),
        (all_terms, (summary.portal_id,)),
    ):
        grouped = statement.group_by(*group, summary.university_id, summary.student_id)
        connection.execute(
            insert(StudentCount).from_select(
                [*names, "applications", "placed"], grouped
            )
        )

    student = StudentCount
    universities = (
        select(
            student.portal_id,
            student.term_key,
            student.university_id,
            func.sum(student.applications),
            func.count(),
            func.count().filter(student.placed > 0),
        )
        .where(student.portal_id == portal_id)
        .group_by(student.portal_id, student.term_key, student.university_id)
    )
    connection.execute(
        insert(UniversityCount).from_select(
            [
                "portal_id",
                "term_key",
                "university_id",
                "applications",
                "students",
                "placed_students",
            ],
            universities,
        )
    )
