"""Shared input checks of the program services."""

from datetime import datetime
from typing import Any

from sqlalchemy import select

from b24app.extensions import db
from b24app.program.errors import NotFoundError, ProgramError
from b24app.tenancy.scoping import get_scoped


def load(model: type, portal_id: int, row_id: int | None) -> Any:
    """Load the portal's row of `model` with this id or raise NotFoundError."""
    row = get_scoped(model, portal_id, id=row_id) if row_id is not None else None
    if row is None:
        raise NotFoundError(f"{model.__name__} {row_id} not found")
    return row


def require_ids(model: type, portal_id: int, ids: list[int], field: str) -> list[int]:
    """Check that every id names a row of `model` in this portal."""
    try:
        requested_ids = sorted({int(value) for value in ids})
    except (TypeError, ValueError) as error:
        raise ProgramError(f"{field} must be a list of ids, got {ids!r}") from error
    statement = (
        select(model.id)
        .where(model.portal_id == portal_id)
        .where(model.id.in_(requested_ids))
    )
    found = set(db.session.execute(statement).scalars())
    missing = [value for value in requested_ids if value not in found]
    if missing:
        raise ProgramError(f"{field}: {model.__name__} ids not found: {missing}")
    return requested_ids


def require_aware(value: datetime | None, field: str) -> None:
    if value is not None and value.tzinfo is None:
        raise ProgramError(f"{field} must carry a time zone, got {value.isoformat()}")


def require_order(first: Any, last: Any, first_field: str, last_field: str) -> None:
    if first is not None and last is not None and first > last:
        raise ProgramError(f"{first_field} ({first}) is after {last_field} ({last})")


def require_count(value: int | None, field: str) -> None:
    if value is not None and (not isinstance(value, int) or value < 0):
        raise ProgramError(
            f"{field} must be a whole number of 0 or more, got {value!r}"
        )
