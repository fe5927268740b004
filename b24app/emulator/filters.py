"""List filters, ordering and paging of the portal's list methods (50 rows a page)."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from typing import Any

from .wire import RestError, as_list, parse_datetime

PAGE_SIZE = 50
# Longest prefixes first, so `>=` is not read as `>`.
OPERATORS = (
    "!=%",
    "!%=",
    ">=",
    "<=",
    "!=",
    "!@",
    "=%",
    "%=",
    "!%",
    ">",
    "<",
    "@",
    "%",
    "=",
    "!",
)
NUMERIC_TYPES = {
    "integer",
    "user",
    "crm_company",
    "crm_contact",
    "crm_category",
    "crm_lead",
}
DATE_TYPES = {"datetime", "date"}

Predicate = Callable[[dict[str, Any]], bool]


def never(row: dict[str, Any]) -> bool:
    """Match nothing: a range filter whose value is not a number or date."""
    return False


def split_key(key: str) -> tuple[str, str]:
    """Split a filter key such as `>=DATE_MODIFY` into operator and field name."""
    for operator in OPERATORS:
        if key.startswith(operator):
            return operator, key[len(operator) :]
    return "=", key


def _coerce(field_type: str, value: Any) -> Any:
    if value is None:
        return None
    if field_type in NUMERIC_TYPES:
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None
    if field_type == "double":
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    if field_type in DATE_TYPES:
        return parse_datetime(value)
    return str(value)


def _compare(operator: str, left: Any, right: Any) -> bool:
    if operator in {"=", "@"}:
        return left == right
    if operator in {"!", "!=", "!@"}:
        return left != right
    if left is None or right is None:
        return False
    if operator == ">":
        return left > right
    if operator == ">=":
        return left >= right
    if operator == "<":
        return left < right
    if operator == "<=":
        return left <= right
    text, needle = str(left).lower(), str(right).lower()
    if operator == "%":
        return needle in text
    if operator == "!%":
        return needle not in text
    pattern = needle.replace("%", "")
    if operator == "=%":
        return text.startswith(pattern)
    if operator == "%=":
        return text.endswith(pattern)
    return False


def build_predicates(
    filters: dict[str, Any], field_types: Callable[[str], str | None]
) -> list[Predicate]:
    """Turn a filter dict into predicates over stored rows; reject unknown fields."""
    predicates: list[Predicate] = []
    for key, raw in filters.items():
        if key.upper() == "LOGIC":
            continue
        operator, name = split_key(key)
        name = name.upper()
        field_type = field_types(name)
        if field_type is None:
            raise RestError(
                "INVALID_ARG_VALUE",
                f"Invalid filter: field '{name}' is not allowed in filter",
            )
        predicates.append(_predicate(operator, name, field_type, raw))
    return predicates


def _predicate(operator: str, name: str, field_type: str, raw: Any) -> Predicate:
    if field_type == "crm_multifield":
        wanted = {str(value) for value in as_list(raw)}
        return lambda row: any(item["VALUE"] in wanted for item in row.get(name) or [])
    if isinstance(raw, list | dict) or operator in {"@", "!@"}:
        values = {_coerce(field_type, value) for value in as_list(raw)}
        negate = operator.startswith("!")
        return lambda row: (_coerce(field_type, row.get(name)) in values) != negate
    value = _coerce(field_type, raw)
    if raw == "" and operator in {"=", "!", "!="}:
        value = None
    elif value is None and operator in {">", ">=", "<", "<="}:
        return never
    return lambda row: _compare(operator, _coerce(field_type, row.get(name)), value)


def id_bounds(filters: dict[str, Any]) -> tuple[int | None, int | None]:
    """Return exclusive (low, high) bounds from `>ID`, `>=ID`, `<ID`, `<=ID`."""
    low = high = None
    for key, raw in filters.items():
        operator, name = split_key(key)
        if name.upper() != "ID" or isinstance(raw, list | dict):
            continue
        try:
            number = int(float(raw))
        except (TypeError, ValueError):
            continue
        if operator == ">":
            low = number
        elif operator == ">=":
            low = number - 1
        elif operator == "<":
            high = number
        elif operator == "<=":
            high = number + 1
    return low, high


def iterate_ids(
    ids: list[int], low: int | None, high: int | None, descending: bool
) -> Iterator[int]:
    """Yield ids of a sorted list inside exclusive bounds, in the given direction."""
    first = 0 if low is None else bisect.bisect_right(ids, low)
    last = len(ids) if high is None else bisect.bisect_left(ids, high)
    if descending:
        return (ids[index] for index in range(last - 1, first - 1, -1))
    return (ids[index] for index in range(first, last))


def ids_between(
    ids: list[int], low: int | None, high: int | None, descending: bool
) -> list[int]:
    """Return the ids of a sorted list inside exclusive bounds, as a new list."""
    first = 0 if low is None else bisect.bisect_right(ids, low)
    last = len(ids) if high is None else bisect.bisect_left(ids, high)
    chosen = ids[first:last]
    if descending:
        chosen.reverse()
    return chosen


def parse_start(raw: Any) -> int:
    """Read the `start` parameter; `-1` means the caller wants no row count."""
    try:
        return int(float(raw)) if raw not in (None, "") else 0
    except (TypeError, ValueError):
        return 0


def normalise_order(order: Any) -> list[tuple[str, bool]]:
    """Return [(FIELD, descending)] from `order` given as a dict (PHP array)."""
    if not isinstance(order, dict):
        return []
    return [
        (str(key).upper(), str(value).upper() == "DESC") for key, value in order.items()
    ]
