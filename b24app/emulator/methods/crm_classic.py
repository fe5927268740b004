"""Old-style crm.deal.*, crm.contact.*, crm.company.* methods and their user fields."""

from __future__ import annotations

from typing import Any

from ..crm_schema import FIELDS_BY_ENTITY, MULTIFIELDS, field_description
from ..filters import normalise_order, parse_start
from ..wire import RestError, as_list
from .registry import Call, ListResult, method


def _fields_param(call: Call) -> dict[str, Any]:
    fields = call.get("fields")
    if not isinstance(fields, dict):
        raise RestError("", "Parameter 'fields' must be array.")
    return fields


def _entity_handlers(entity: str) -> None:
    prefix = f"crm.{entity}"

    @method(f"{prefix}.add")
    def add(call: Call) -> int:
        return call.state.crm_add(entity, _fields_param(call), call.actor)

    @method(f"{prefix}.get")
    def get(call: Call) -> dict[str, Any]:
        table = call.state.crm.tables[entity]
        return table.full(table.require(call.get("id")))

    @method(f"{prefix}.update")
    def update(call: Call) -> bool:
        table = call.state.crm.tables[entity]
        table.require(call.get("id"))
        call.state.crm_update(entity, call.get("id"), _fields_param(call), call.actor)
        return True

    @method(f"{prefix}.delete")
    def delete(call: Call) -> bool:
        call.state.crm_delete(entity, call.get("id"), call.actor)
        return True

    @method(f"{prefix}.list")
    def list_(call: Call) -> ListResult:
        table = call.state.crm.tables[entity]
        filters = {str(key): value for key, value in call.dict_param("filter").items()}
        order = normalise_order(call.get("order"))
        rows, total, following = table.query(
            filters, order, parse_start(call.get("start"))
        )
        select = [str(name) for name in as_list(call.get("select"))]
        return ListResult(
            [table.project(row, select) for row in rows], total, following
        )

    @method(f"{prefix}.fields")
    def fields(call: Call) -> dict[str, Any]:
        table = call.state.crm.tables[entity]
        described = {
            name: field_description(name, spec)
            for name, spec in FIELDS_BY_ENTITY[entity].items()
        }
        if entity != "deal":
            for name in MULTIFIELDS:
                described[name] = {
                    **field_description(name, ("crm_multifield", False, None)),
                    "isMultiple": True,
                }
        for name, definition in table.userfields.items():
            described[name] = {
                "type": definition["USER_TYPE_ID"],
                "isRequired": definition["MANDATORY"] == "Y",
                "isReadOnly": False,
                "isImmutable": False,
                "isMultiple": definition["MULTIPLE"] == "Y",
                "isDynamic": True,
                "title": name,
                "listLabel": definition["LIST_COLUMN_LABEL"],
                "formLabel": definition["EDIT_FORM_LABEL"],
                "filterLabel": definition["LIST_FILTER_LABEL"],
                "settings": definition["SETTINGS"],
            }
            if "LIST" in definition:
                described[name]["items"] = definition["LIST"]
        return described

    @method(f"{prefix}.userfield.add")
    def userfield_add(call: Call) -> int:
        return call.state.crm.add_userfield(entity, _fields_param(call))

    @method(f"{prefix}.userfield.get")
    def userfield_get(call: Call) -> dict[str, Any]:
        return call.state.crm.find_userfield(entity, call.get("id"))

    @method(f"{prefix}.userfield.list")
    def userfield_list(call: Call) -> list[dict[str, Any]]:
        wanted = {
            str(key).upper(): str(value)
            for key, value in call.dict_param("filter").items()
        }
        rows = call.state.crm.tables[entity].userfields.values()
        return [
            row
            for row in rows
            if all(str(row.get(key)) == value for key, value in wanted.items())
        ]

    @method(f"{prefix}.userfield.update")
    def userfield_update(call: Call) -> bool:
        definition = call.state.crm.find_userfield(entity, call.get("id"))
        for key, value in _fields_param(call).items():
            key = str(key).upper()
            if key not in {"ID", "FIELD_NAME", "USER_TYPE_ID", "ENTITY_ID"}:
                definition[key] = value
        return True

    @method(f"{prefix}.userfield.delete")
    def userfield_delete(call: Call) -> bool:
        definition = call.state.crm.find_userfield(entity, call.get("id"))
        table = call.state.crm.tables[entity]
        del table.userfields[definition["FIELD_NAME"]]
        for row in table.rows.values():
            row.pop(definition["FIELD_NAME"], None)
        return True


for _entity in ("deal", "contact", "company"):
    _entity_handlers(_entity)


def _deal_id(call: Call) -> int:
    row = call.state.crm.tables["deal"].require(call.get("id"))
    return int(row["ID"])


@method("crm.deal.contact.items.get")
def deal_contact_items_get(call: Call) -> list[dict[str, Any]]:
    """Return a deal's contact links."""
    return [dict(link) for link in call.state.crm.deal_contacts.get(_deal_id(call), [])]


@method("crm.deal.contact.items.set")
def deal_contact_items_set(call: Call) -> bool:
    """Replace a deal's contact links and fire ONCRMDEALUPDATE."""
    deal_id = _deal_id(call)
    items = [item for item in as_list(call.get("items")) if isinstance(item, dict)]
    call.state.crm.set_deal_contacts(deal_id, items)
    call.state.crm_event("deal", "UPDATE", deal_id, call.actor)
    return True


@method("crm.deal.contact.items.delete")
def deal_contact_items_delete(call: Call) -> bool:
    """Remove every contact link of a deal."""
    deal_id = _deal_id(call)
    call.state.crm.set_deal_contacts(deal_id, [])
    return True


@method("crm.deal.contact.add")
def deal_contact_add(call: Call) -> bool:
    """Add one contact link to a deal."""
    deal_id = _deal_id(call)
    fields = _fields_param(call)
    contact_id = fields.get("CONTACT_ID") or fields.get("contact_id")
    call.state.crm.tables["contact"].require(contact_id)
    call.state.crm.add_deal_contact(deal_id, fields)
    return True


@method("crm.deal.contact.delete")
def deal_contact_delete(call: Call) -> bool:
    """Remove one contact link from a deal."""
    deal_id = _deal_id(call)
    fields = {str(key).upper(): value for key, value in _fields_param(call).items()}
    links = call.state.crm.deal_contacts.get(deal_id, [])
    kept = [
        link
        for link in links
        if str(link["CONTACT_ID"]) != str(fields.get("CONTACT_ID"))
    ]
    call.state.crm.set_deal_contacts(deal_id, kept)
    return True
