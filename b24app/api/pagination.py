"""Keyset pagination with signed cursors, and `sort=field,-field` parsing.

A cursor contains the sort values of the last row returned, signed with the app's
secret key so callers cannot forge positions. It is bound to the sort order
and the filters, so reusing it with other parameters is rejected.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Date, DateTime, Select, and_, or_

from b24app.api.problems import FieldError, validation_error
from b24app.extensions import db

CURSOR_SALT = "b24app.api.cursor"
MAX_LIMIT = 200
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class SortKey:
    name: str
    column: Any
    descending: bool


def parse_sort(raw: str | None, allowed: dict[str, Any], default: str) -> list[SortKey]:
    """Parse `sort=name,-created_at` against the allow-list; `id` breaks ties.

    A field named twice keeps its first direction.
    """
    keys: list[SortKey] = []
    for part in (raw or default).split(","):
        part = part.strip()
        name = part.removeprefix("-")
        if name not in allowed:
            choices = ", ".join(sorted(allowed))
            raise validation_error(
                "the sort order names an unknown field",
                [FieldError("query.sort", f"{name!r} is not one of: {choices}")],
            )
        if any(key.name == name for key in keys):
            continue  # The first mention of a field decides its direction.
        keys.append(SortKey(name, allowed[name], part.startswith("-")))

    if not any(key.name == "id" for key in keys):
        keys.append(SortKey("id", allowed["id"], False))
    return keys


@dataclass
class Page:
    rows: list[Any]
    next_url: str | None


def paginate(
    statement: Select, sort: list[SortKey], limit: int, cursor: str | None
) -> Page:
    """Run `statement` one page at a time in the `sort` order."""
    fingerprint = _fingerprint(sort)
    if cursor:
        values = _decode(cursor, fingerprint, sort)
        statement = statement.where(_after(sort, values))

    order = [key.column.desc() if key.descending else key.column.asc() for key in sort]
    rows = list(
        db.session.execute(statement.order_by(*order).limit(limit + 1)).scalars()
    )
    if len(rows) <= limit:
        return Page(rows, None)

    rows = rows[:limit]
    token = _encode(rows[-1], sort, fingerprint)
    return Page(rows, next_link(token))


def next_link(token: str) -> str:
    args = {name: value for name, value in request.args.items() if name != "cursor"}
    return url_for(
        request.endpoint,
        **(request.view_args or {}),
        **args,
        cursor=token,
        _external=True,
    )


def _after(sort: list[SortKey], values: list[Any]) -> Any:
    """Rows strictly after `values` in the sort order (a row-value comparison)."""
    branches = []
    for index, key in enumerate(sort):
        equal = [sort[i].column == values[i] for i in range(index)]
        beyond = (
            key.column < values[index] if key.descending else key.column > values[index]
        )
        branches.append(and_(*equal, beyond))
    return or_(*branches)


def _fingerprint(sort: list[SortKey]) -> str:
    filters = sorted(
        (name, value)
        for name, value in request.args.items()
        if name not in ("cursor", "limit")
    )
    text = json.dumps([request.path, [(k.name, k.descending) for k in sort], filters])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CURSOR_SALT)


def _encode(row: Any, sort: list[SortKey], fingerprint: str) -> str:
    values = []
    for key in sort:
        value = getattr(row, key.name)
        values.append(value.isoformat() if isinstance(value, date) else value)
    return _serializer().dumps({"f": fingerprint, "v": values})


def _decode(token: str, fingerprint: str, sort: list[SortKey]) -> list[Any]:
    invalid = validation_error(
        "the cursor is invalid",
        [
            FieldError(
                "query.cursor",
                "use the next link of a page as given, with the same filters and sort",
            )
        ],
    )
    try:
        data = _serializer().loads(token)
    except BadSignature:
        raise invalid from None
    if not isinstance(data, dict) or data.get("f") != fingerprint:
        raise invalid
    values = data.get("v")
    if not isinstance(values, list) or len(values) != len(sort):
        raise invalid
    return [_typed(key, value) for key, value in zip(sort, values, strict=True)]


def _typed(key: SortKey, value: Any) -> Any:
    column_type = getattr(key.column, "type", None)
    if value is None:
        return None
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    return value
