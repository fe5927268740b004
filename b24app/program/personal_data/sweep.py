"""Scrub text and JSON columns of mapped rows and of whole portal tables."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy import inspect

from b24app.extensions import db
from b24app.program.personal_data.scrub import Identity, Scrubber

# Shorter string columns of this schema hold codes (stages, statuses, kinds,
# languages), and a single name must not rewrite a stage spelled like it. The
# tests search every column of any length after an erasure.
MIN_SCRUBBED_LENGTH = 64
# Tables the sweep leaves alone: the student row is anonymised field by field,
# and the personal-data tables hold no personal data.
SKIPPED_TABLES = frozenset({"student", "student_erasure", "retention_policy"})
SKIPPED_COLUMNS = frozenset({"topic", "dedupe_key", "idempotency_key"})


def scrubbed_columns(table: sa.Table) -> list[sa.Column]:
    """Return the columns of `table` that can hold free text or JSON."""
    columns = []
    for column in table.columns:
        if column.primary_key or column.foreign_keys or column.name in SKIPPED_COLUMNS:
            continue
        if isinstance(column.type, sa.JSON | sa.Text):
            columns.append(column)
        elif isinstance(column.type, sa.String) and (
            column.type.length is None or column.type.length >= MIN_SCRUBBED_LENGTH
        ):
            columns.append(column)
    return columns


def scrub_value(scrubber: Scrubber, column: sa.Column, value: Any) -> Any:
    """Return the scrubbed value of one column, cut to the column's length."""
    if value is None:
        return None
    if isinstance(column.type, sa.JSON):
        return scrubber.json(value)
    if not isinstance(value, str):
        return value
    result = scrubber.text(value)
    length = getattr(column.type, "length", None)
    return result[:length] if length else result


def scrub_row(scrubber: Scrubber, row: Any) -> bool:
    """Scrub the text and JSON attributes of one mapped row; return True on change."""
    table = inspect(row).mapper.local_table
    changed = False
    for column in scrubbed_columns(table):
        key = inspect(row).mapper.get_property_by_column(column).key
        value = getattr(row, key)
        scrubbed = scrub_value(scrubber, column, value)
        if scrubbed != value:
            setattr(row, key, scrubbed)
            changed = True
    return changed


def find_mentions(portal_id: int, identity: Identity) -> dict[str, list[Any]]:
    """Return the rows per table that contain one of the strong strings.

    A SQL pre-filter on the lower-cased text of each column keeps this from
    reading whole tables. The student table is left out.
    """
    finder = Scrubber(identity, include_weak=False)
    terms = identity.search_terms(include_weak=False)
    found: dict[str, list[Any]] = {}
    if not terms:
        return found

    for table, columns in _searched_tables():
        candidates = _candidates(table, columns, portal_id, terms)
        rows = [
            row
            for row in candidates
            if any(finder.mentions(row[column.name]) for column in columns)
        ]
        if rows:
            found[table.name] = rows
    return found


def _searched_tables() -> list[tuple[sa.Table, list[sa.Column]]]:
    tables = []
    for table in db.metadata.sorted_tables:
        if "portal_id" not in table.c or table.name in SKIPPED_TABLES:
            continue
        columns = scrubbed_columns(table)
        if columns:
            tables.append((table, columns))
    return tables


def sweep_portal(portal_id: int, identity: Identity) -> dict[str, int]:
    """Scrub every row of the portal that contains one of the strong strings.

    A row with the person's e-mail, phone, number or full name is about them,
    so it loses single names and personal keys too. Returns the changed row
    count per table.
    """
    scrubber = Scrubber(identity, include_weak=True)
    columns_by_table = {table.name: (table, cols) for table, cols in _searched_tables()}
    changed: dict[str, int] = {}
    for name, rows in find_mentions(portal_id, identity).items():
        table, columns = columns_by_table[name]
        count = _scrub_rows(table, columns, rows, scrubber)
        if count:
            changed[name] = count
    return changed


def _candidates(
    table: sa.Table, columns: list[sa.Column], portal_id: int, terms: list[str]
) -> list[Any]:
    mentions = [
        sa.func.lower(sa.cast(column, sa.Text)).contains(term, autoescape=True)
        for column in columns
        for term in terms
    ]
    statement = sa.select(table).where(
        table.c.portal_id == portal_id, sa.or_(*mentions)
    )
    return list(db.session.execute(statement).mappings().all())


def _scrub_rows(
    table: sa.Table, columns: list[sa.Column], rows: list[Any], scrubber: Scrubber
) -> int:
    primary_key = list(table.primary_key.columns)
    count = 0
    for row in rows:
        values = {}
        for column in columns:
            scrubbed = scrub_value(scrubber, column, row[column.name])
            if scrubbed != row[column.name]:
                values[column.name] = scrubbed
        if not values:
            continue
        keys = [column == row[column.name] for column in primary_key]
        db.session.execute(sa.update(table).where(*keys).values(**values))
        count += 1
    return count
