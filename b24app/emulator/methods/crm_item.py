"""Universal crm.item.* methods: a camelCase view of deals, contacts, companies."""

from __future__ import annotations

from typing import Any

from ..crm_schema import (
    ENTITY_NAMES,
    ENTITY_TYPES,
    ITEM_INT_TYPES,
    MULTIFIELDS,
    camel_name,
)
from ..crm_store import EntityTable
from ..filters import normalise_order, parse_start, split_key
from ..wire import RestError, as_list, flag
from .registry import Call, ListResult, method

_ZERO_WHEN_EMPTY = {"COMPANY_ID", "CONTACT_ID"}


def _entity(call: Call) -> str:
    raw = call.get("entityTypeId")
    try:
        return ENTITY_NAMES[int(float(raw))]
    except (KeyError, TypeError, ValueError) as exc:
        raise RestError("NOT_FOUND", "Smart process not found") from exc


def _upper_names(table: EntityTable) -> dict[str, str]:
    names = list(table.fields) + list(table.userfields)
    return {camel_name(name).lower(): name for name in names}


def _to_upper(table: EntityTable, fields: dict[str, Any]) -> dict[str, Any]:
    names = _upper_names(table)
    converted: dict[str, Any] = {}
    for key, value in fields.items():
        upper = names.get(str(key).lower()) or names.get(
            str(key).replace("_", "").lower()
        )
        if upper is None and str(key).upper() in table.fields | table.userfields:
            upper = str(key).upper()
        if upper is not None:
            converted[upper] = value
    return converted


def _item_value(table: EntityTable, name: str, value: Any) -> Any:
    field_type = table.field_type(name)
    if field_type in ITEM_INT_TYPES:
        if value is None:
            return 0 if name in _ZERO_WHEN_EMPTY else None
        return int(value)
    if field_type == "double" and value is not None:
        return float(value)
    return value


def to_item(
    call: Call,
    entity: str,
    row: dict[str, Any],
    select: list[str],
    original_uf: bool = False,
) -> dict[str, Any]:
    """Convert a stored row to the crm.item shape."""
    table = call.state.crm.tables[entity]
    item: dict[str, Any] = {}
    for name in table.standard_names() + list(table.userfields):
        key = name if original_uf and name.startswith("UF_") else camel_name(name)
        item[key] = _item_value(table, name, row.get(name))
    item["entityTypeId"] = ENTITY_TYPES[entity]
    if entity == "deal":
        links = call.state.crm.deal_contacts.get(int(row["ID"]), [])
        item["contactIds"] = [link["CONTACT_ID"] for link in links]
        item["observers"] = []
    if entity != "deal" and (not select or "*" in select):
        item["fm"] = [
            {
                "id": int(entry["ID"]),
                "valueType": entry["VALUE_TYPE"],
                "value": entry["VALUE"],
                "typeId": entry["TYPE_ID"],
            }
            for type_id in MULTIFIELDS
            for entry in row.get(type_id) or []
        ]
    if select and "*" not in select:
        wanted = {name.lower() for name in select} | {"id"}
        item = {key: value for key, value in item.items() if key.lower() in wanted}
    return item


def _fields(call: Call) -> dict[str, Any]:
    fields = call.get("fields")
    if not isinstance(fields, dict):
        raise RestError("INVALID_ARG_VALUE", "fields is not an array")
    return fields


@method("crm.item.add")
def item_add(call: Call) -> dict[str, Any]:
    """Create an item; returns `{"item": {...}}`."""
    entity = _entity(call)
    table = call.state.crm.tables[entity]
    row_id = call.state.crm_add(entity, _to_upper(table, _fields(call)), call.actor)
    return {"item": to_item(call, entity, table.rows[row_id], [])}


@method("crm.item.get")
def item_get(call: Call) -> dict[str, Any]:
    """Return `{"item": {...}}` or NOT_FOUND."""
    entity = _entity(call)
    row = _require(call, entity)
    call.state.crm_roles.require(call.caller.user_id, entity, "read", row)
    original = flag(call.get("useOriginalUfNames", "N")) == "Y"
    return {"item": to_item(call, entity, row, [], original)}


@method("crm.item.update")
def item_update(call: Call) -> dict[str, Any]:
    """Update an item (pipeline moves allowed); returns `{"item": {...}}`.

    Access is checked first. When no value changes, nothing is saved and no
    event fires, as crm-item-update.md describes.
    """
    entity = _entity(call)
    row = _require(call, entity)
    call.state.crm_roles.require(call.caller.user_id, entity, "write", row)
    table = call.state.crm.tables[entity]
    fields = _to_upper(table, _fields(call))
    if _changes(row, fields):
        call.state.crm_update(
            entity, row["ID"], fields, call.actor, allow_category=True
        )
    return {"item": to_item(call, entity, row, [])}


def _changes(row: dict[str, Any], fields: dict[str, Any]) -> bool:
    return any(
        isinstance(value, list | dict) or str(row.get(name)) != str(value)
        for name, value in fields.items()
    )


@method("crm.item.delete")
def item_delete(call: Call) -> list[Any]:
    """Delete an item; the documented result is an empty array."""
    entity = _entity(call)
    row = _require(call, entity)
    call.state.crm_roles.require(call.caller.user_id, entity, "write", row)
    call.state.crm_delete(entity, row["ID"], call.actor)
    return []


@method("crm.item.list")
def item_list(call: Call) -> ListResult:
    """List items with camelCase filter/order/select; result is `{"items": [...]}`."""
    entity = _entity(call)
    table = call.state.crm.tables[entity]
    names = _upper_names(table)
    filters: dict[str, Any] = {}
    for key, value in call.dict_param("filter").items():
        operator, name = split_key(str(key))
        upper = names.get(name.lower(), name.upper())
        filters[
            ("" if operator == "=" and not str(key).startswith("=") else operator)
            + upper
        ] = value
    order = [
        (names.get(name.lower(), name), desc)
        for name, desc in normalise_order(call.get("order"))
    ]
    # The caller's CRM role narrows the filter, so pages and `total` count only
    # what the user may read.
    readable = call.state.crm_roles.list_filter(call.caller.user_id, entity, filters)
    if readable is None:
        return ListResult({"items": []}, 0)
    rows, total, following = table.query(
        readable, order, parse_start(call.get("start"))
    )
    select = [str(name) for name in as_list(call.get("select"))]
    original = flag(call.get("useOriginalUfNames", "N")) == "Y"
    items = [to_item(call, entity, row, select, original) for row in rows]
    return ListResult({"items": items}, total, following)


@method("crm.item.fields")
def item_fields(call: Call) -> dict[str, Any]:
    """Describe item fields by camelCase name, with `upperName`."""
    entity = _entity(call)
    table = call.state.crm.tables[entity]
    described = {}
    for name in table.standard_names() + list(table.userfields):
        field_type = table.field_type(name) or "string"
        described[camel_name(name)] = {
            "type": field_type,
            "isRequired": False,
            "isReadOnly": bool(table.fields.get(name, ("", False))[1]),
            "isImmutable": False,
            "isMultiple": False,
            "isDynamic": name.startswith("UF_"),
            "title": name.replace("_", " ").title(),
            "upperName": name,
        }
    return {"fields": described}


def _require(call: Call, entity: str) -> dict[str, Any]:
    try:
        return call.state.crm.tables[entity].require(call.get("id"))
    except RestError as exc:
        raise RestError("NOT_FOUND", "Element not found") from exc
