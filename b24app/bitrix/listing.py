"""Fast export of a whole list: ID keyset pages chained inside batches.

The technique is the one the Bitrix24 docs give for large data sets. Order by
ID ascending, filter `>ID` with the last ID seen, and send `start=-1` so the
server skips counting. Stop at the first page shorter than 50 rows. Inside one
batch each page takes its lower bound from the previous command's 50th row
(`$result[p3][49][ID]`, or `$result[p3][items][49][id]` for `crm.item.list`),
so one HTTP request carries up to 50 pages, 2,500 rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from .batch import MAX_COMMANDS
from .errors import BatchError, BitrixError

if TYPE_CHECKING:
    from .rest_client import RestClient

PAGE_SIZE = 50

ItemShape = Literal["classic", "item"]


def iterate_list(
    client: RestClient,
    method: str,
    *,
    filter: Mapping[str, Any] | None = None,
    select: list[str] | None = None,
    order_field: str | None = None,
    item_shape: ItemShape = "classic",
    entity_type_id: int | None = None,
    id_key: str | None = None,
    params: Mapping[str, Any] | None = None,
    start_after: int = 0,
) -> Iterator[dict[str, Any]]:
    """Yield every row of `method` once, in ascending ID order.

    The first page is a plain call, so a short list costs one request; after
    that each request is a batch of 50 chained pages. Raises BatchError or the
    command's typed error when a page fails, and BitrixError when IDs do not
    ascend (the list would otherwise repeat or skip rows).
    """
    if item_shape not in ("classic", "item"):
        raise ValueError(f"item_shape must be 'classic' or 'item', not {item_shape!r}")
    field = order_field or ("id" if item_shape == "item" else "ID")
    row_id_key = id_key or field
    bound_key = f">{field}"
    base = _base_params(filter, select, entity_type_id, params, field)

    def page_params(bound: Any) -> dict[str, Any]:
        page = dict(base)
        page["filter"] = {**base.get("filter", {}), bound_key: bound}
        page["order"] = {field: "ASC"}
        page["start"] = -1
        return page

    last_id = start_after
    rows = _rows(client.call(method, page_params(last_id)).result, item_shape, method)
    last_id = _check_ascending(rows, row_id_key, last_id, method)
    yield from rows

    while len(rows) >= PAGE_SIZE:
        commands = _chained_commands(method, page_params, last_id, item_shape, field)
        outcome = client.batch(commands, halt=True, raise_on_error=False)

        for key in commands:
            rows = _page_from(outcome, key, item_shape, method)
            last_id = _check_ascending(rows, row_id_key, last_id, method)
            yield from rows
            if len(rows) < PAGE_SIZE:
                # Commands after a short page referenced a row that does not
                # exist, so their results are meaningless and are dropped.
                return


def _base_params(
    filter: Mapping[str, Any] | None,
    select: list[str] | None,
    entity_type_id: int | None,
    params: Mapping[str, Any] | None,
    field: str,
) -> dict[str, Any]:
    bound_key = f">{field}"
    base = dict(params or {})
    for managed in ("order", "start"):
        if managed in base:
            raise ValueError(f"list export manages {managed!r} itself")
    if filter:
        if bound_key in filter:
            raise ValueError(f"use start_after instead of a {bound_key!r} filter")
        base["filter"] = dict(filter)
    if select:
        # The chained references read the ID of each page's last row.
        base["select"] = list(select) if field in select else [*select, field]
    if entity_type_id is not None:
        base["entityTypeId"] = entity_type_id
    return base


def _chained_commands(
    method: str, page_params: Any, last_id: int, item_shape: ItemShape, field: str
) -> dict[str, tuple[str, dict[str, Any]]]:
    commands: dict[str, tuple[str, dict[str, Any]]] = {}
    previous = None
    for index in range(MAX_COMMANDS):
        key = f"p{index}"
        if previous is None:
            bound: Any = last_id
        elif item_shape == "item":
            bound = f"$result[{previous}][items][{PAGE_SIZE - 1}][{field}]"
        else:
            bound = f"$result[{previous}][{PAGE_SIZE - 1}][{field}]"
        commands[key] = (method, page_params(bound))
        previous = key
    return commands


def _page_from(outcome: Any, key: str, item_shape: ItemShape, method: str) -> list:
    if key in outcome.errors:
        raise BatchError(outcome.results, {key: outcome.errors[key]}, outcome.not_run)
    if key not in outcome.results:
        raise BatchError(outcome.results, outcome.errors, [key])
    return _rows(outcome.results[key], item_shape, method)


def _rows(result: Any, item_shape: ItemShape, method: str) -> list[dict[str, Any]]:
    if item_shape == "item":
        result = result.get("items") if isinstance(result, Mapping) else None
    if not isinstance(result, list):
        raise BitrixError(f"{method}: list result has an unexpected shape")
    return result


def _check_ascending(
    rows: list[dict[str, Any]], id_key: str, last_id: int, method: str
) -> int:
    for row in rows:
        try:
            row_id = int(row[id_key])
        except (KeyError, TypeError, ValueError):
            raise BitrixError(f"{method}: row without a numeric {id_key!r}") from None
        if row_id <= last_id:
            raise BitrixError(
                f"{method}: ID {row_id} after {last_id}, so rows are not ascending"
            )
        last_id = row_id
    return last_id
