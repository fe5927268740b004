"""INSERT ... ON CONFLICT DO UPDATE for PostgreSQL and SQLite, in one helper."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_
from sqlalchemy.dialects import postgresql, sqlite

from b24app.extensions import db


def upsert(
    model: Any,
    rows: list[dict[str, Any]],
    conflict_columns: Sequence[str],
    update_columns: Sequence[str] | None = None,
    *,
    newer_only: bool = False,
) -> None:
    """Upsert `rows` keyed by `conflict_columns` in the session's transaction.

    Every row must have the same keys. `update_columns` defaults to every key
    that is not part of the conflict target. With `newer_only`, an existing row
    is overwritten only when the incoming `date_modify` is not older than the
    stored one, so a slow writer cannot put back an older state.

    One statement is compiled and run as an executemany on the session's
    connection, which the driver sends in multi-row batches.
    """
    if not rows:
        return
    statement = _upsert_statement(
        model, rows[0], conflict_columns, update_columns, newer_only
    )
    # RETURNING makes SQLAlchemy use its "insertmanyvalues" batching: a few
    # multi-row INSERTs instead of one round trip per row.
    statement = statement.returning(model.__table__.primary_key.columns.values()[0])
    db.session.connection().execute(statement, rows).all()


def _upsert_statement(
    model: Any,
    sample: dict[str, Any],
    conflict_columns: Sequence[str],
    update_columns: Sequence[str] | None,
    newer_only: bool,
) -> Any:
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model.__table__)

    if update_columns is None:
        update_columns = [name for name in sample if name not in conflict_columns]
    updates = {name: statement.excluded[name] for name in update_columns}
    if not updates:
        return statement.on_conflict_do_nothing(index_elements=list(conflict_columns))

    where = None
    if newer_only:
        table = model.__table__
        where = or_(
            table.c.date_modify.is_(None),
            statement.excluded.date_modify.is_(None),
            statement.excluded.date_modify >= table.c.date_modify,
        )
    return statement.on_conflict_do_update(
        index_elements=list(conflict_columns), set_=updates, where=where
    )
