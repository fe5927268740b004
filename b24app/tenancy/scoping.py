"""Portal-scoped loading: the easy way to read a row names its portal."""

from typing import Any, TypeVar

from flask import abort
from sqlalchemy import Select, select

from b24app.extensions import db

Model = TypeVar("Model")


def scoped(model: type[Model], portal_id: int) -> Select:
    """Build a SELECT of the `model` rows that belong to `portal_id`."""
    if portal_id is None:
        raise ValueError(f"a query of {model.__name__} needs a portal id")
    return select(model).where(model.portal_id == portal_id)


def get_scoped(model: type[Model], portal_id: int, **filters: Any) -> Model | None:
    """Return the one row of `model` in `portal_id` matching `filters`, or None."""
    statement = scoped(model, portal_id).filter_by(**filters)
    return db.session.execute(statement).scalar_one_or_none()


def get_scoped_or_404(model: type[Model], portal_id: int, **filters: Any) -> Model:
    row = get_scoped(model, portal_id, **filters)
    if row is None:
        abort(404)
    return row
