"""Pipelines (crm.category.*), stages and reference lists (crm.status.*),
timeline comments."""

from __future__ import annotations

from typing import Any

from ..crm_data import deal_stage_entity
from ..filters import PAGE_SIZE, parse_start
from ..wire import RestError
from .registry import Call, ListResult, method


def _deal_type(call: Call) -> None:
    raw = str(call.get("entityTypeId") or "")
    if raw != "2":
        raise RestError("NOT_FOUND", "Smart process not found")


@method("crm.category.list")
def category_list(call: Call) -> ListResult:
    """List deal pipelines as `{"categories": [...]}`."""
    _deal_type(call)
    rows = sorted(
        call.state.crm.categories.values(), key=lambda row: (row["sort"], row["id"])
    )
    return ListResult({"categories": [dict(row) for row in rows]}, len(rows))


@method("crm.category.get")
def category_get(call: Call) -> dict[str, Any]:
    """Return `{"category": {...}}`."""
    _deal_type(call)
    return {"category": dict(call.state.crm.require_category(call.get("id")))}


@method("crm.category.add")
def category_add(call: Call) -> dict[str, Any]:
    """Create a pipeline with default stages."""
    _deal_type(call)
    return {"category": dict(call.state.crm.add_category(call.dict_param("fields")))}


@method("crm.category.update")
def category_update(call: Call) -> dict[str, Any]:
    """Rename or re-sort a pipeline."""
    _deal_type(call)
    category = call.state.crm.require_category(call.get("id"))
    fields = call.dict_param("fields")
    if "name" in fields:
        category["name"] = str(fields["name"])
    if "sort" in fields:
        category["sort"] = int(fields["sort"])
    return {"category": dict(category)}


@method("crm.category.delete")
def category_delete(call: Call) -> list[Any]:
    """Delete a pipeline; the documented result is an empty array."""
    _deal_type(call)
    call.state.crm.delete_category(int(float(call.get("id") or -1)))
    return []


@method("crm.category.fields")
def category_fields(call: Call) -> dict[str, Any]:
    """Describe pipeline fields."""
    _deal_type(call)
    spec = {
        "id": "integer",
        "name": "string",
        "sort": "integer",
        "entityTypeId": "integer",
        "isDefault": "boolean",
    }
    return {
        "fields": {
            name: {
                "type": kind,
                "isRequired": name == "name",
                "isReadOnly": name in {"id", "entityTypeId"},
                "isImmutable": False,
                "isMultiple": False,
                "isDynamic": False,
                "title": name,
            }
            for name, kind in spec.items()
        }
    }


def _status_rows(call: Call, filters: dict[str, Any]) -> list[dict[str, Any]]:
    wanted = {str(key).upper(): str(value) for key, value in filters.items()}
    rows = [
        row
        for row in call.state.crm.statuses
        if all(str(row.get(key)) == value for key, value in wanted.items())
    ]
    return sorted(rows, key=lambda row: (row["ENTITY_ID"], int(row["SORT"])))


@method("crm.status.list")
def status_list(call: Call) -> ListResult:
    """List stages and reference values, filtered by ENTITY_ID and other fields."""
    rows = _status_rows(call, call.dict_param("filter"))
    start = max(parse_start(call.get("start")), 0)
    following = start + PAGE_SIZE if start + PAGE_SIZE < len(rows) else None
    return ListResult(rows[start : start + PAGE_SIZE], len(rows), following)


@method("crm.dealcategory.stage.list")
def dealcategory_stage_list(call: Call) -> list[dict[str, Any]]:
    """Return the stages of pipeline `id` (0 = default), like crm.status.list."""
    category_id = int(float(call.get("id") or 0))
    call.state.crm.require_category(category_id)
    return call.state.crm.stages(category_id)


@method("crm.status.get")
def status_get(call: Call) -> dict[str, Any]:
    """Return one crm.status row by ID."""
    for row in call.state.crm.statuses:
        if row["ID"] == str(call.get("id")):
            return row
    raise RestError("", "Not found")


@method("crm.status.add")
def status_add(call: Call) -> int:
    """Add a custom status or stage."""
    fields = {
        str(key).upper(): value for key, value in call.dict_param("fields").items()
    }
    entity_id = str(fields.get("ENTITY_ID") or "")
    status_id = str(fields.get("STATUS_ID") or "")
    if not entity_id or not status_id:
        raise RestError("", "ENTITY_ID and STATUS_ID are required.")
    category_id = None
    if entity_id.startswith("DEAL_STAGE"):
        category_id = (
            int(entity_id.rsplit("_", 1)[-1]) if entity_id != "DEAL_STAGE" else 0
        )
        if category_id and not status_id.startswith(f"C{category_id}:"):
            status_id = f"C{category_id}:{status_id}"
    row = call.state.crm.add_status(
        entity_id,
        status_id,
        str(fields.get("NAME") or status_id),
        int(fields.get("SORT") or 500),
        semantics=fields.get("SEMANTICS") or ("P" if category_id is not None else None),
        category_id=category_id,
    )
    return int(row["ID"])


@method("crm.status.update")
def status_update(call: Call) -> bool:
    """Update NAME, SORT or COLOR of a status."""
    row = status_get(call)
    for key, value in call.dict_param("fields").items():
        key = str(key).upper()
        if key in {"NAME", "SORT", "COLOR"}:
            row[key] = str(value)
    call.state.crm.statuses_changed()
    return True


@method("crm.status.delete")
def status_delete(call: Call) -> bool:
    """Delete a non-system status."""
    row = status_get(call)
    if row["SYSTEM"] == "Y":
        raise RestError("", "Can't delete system status")
    call.state.crm.statuses.remove(row)
    call.state.crm.statuses_changed()
    return True


@method("crm.status.entity.types")
def status_entity_types(call: Call) -> list[dict[str, Any]]:
    """List the reference list types, deal pipelines' stage lists included."""
    names = sorted({row["ENTITY_ID"] for row in call.state.crm.statuses})
    return [
        {
            "ID": name,
            "NAME": name.replace("_", " ").title(),
            **(
                {
                    "CATEGORY_ID": name.rsplit("_", 1)[-1]
                    if name != "DEAL_STAGE"
                    else "0",
                    "ENTITY_TYPE_ID": 2,
                }
                if name.startswith("DEAL_STAGE")
                else {}
            ),
        }
        for name in names
    ]


@method("crm.dealcategory.status")
def dealcategory_status(call: Call) -> str:
    """Return the crm.status ENTITY_ID of a pipeline's stages."""
    return deal_stage_entity(int(float(call.get("id") or 0)))


def _comment_fields(call: Call) -> dict[str, Any]:
    fields = call.get("fields")
    if not isinstance(fields, dict):
        raise RestError("ERROR_ARGUMENT", "Parameter 'fields' must be array.")
    return {str(key).upper(): value for key, value in fields.items()}


@method("crm.timeline.comment.add")
def comment_add(call: Call) -> int:
    """Add a comment to an entity's timeline; returns its id."""
    return call.state.crm.add_comment(_comment_fields(call), call.caller.user_id)


@method("crm.timeline.comment.list")
def comment_list(call: Call) -> ListResult:
    """List comments filtered by ENTITY_ID and ENTITY_TYPE."""
    wanted = {
        str(key).upper(): str(value).lower()
        for key, value in call.dict_param("filter").items()
    }
    rows = [
        row
        for row in call.state.crm.timeline.values()
        if all(str(row.get(key)).lower() == value for key, value in wanted.items())
    ]
    start = max(parse_start(call.get("start")), 0)
    following = start + PAGE_SIZE if start + PAGE_SIZE < len(rows) else None
    return ListResult(rows[start : start + PAGE_SIZE], len(rows), following)


@method("crm.timeline.comment.get")
def comment_get(call: Call) -> dict[str, Any]:
    """Return one comment."""
    row = call.state.crm.timeline.get(int(float(call.get("id") or 0)))
    if row is None:
        raise RestError("NOT_FOUND", "Comment not found.")
    return row


@method("crm.timeline.comment.update")
def comment_update(call: Call) -> int:
    """Change a comment's text; returns its id."""
    row = comment_get(call)
    fields = _comment_fields(call)
    if fields.get("COMMENT"):
        row["COMMENT"] = str(fields["COMMENT"])
    return int(row["ID"])


@method("crm.timeline.comment.delete")
def comment_delete(call: Call) -> bool:
    """Delete a comment."""
    row = comment_get(call)
    del call.state.crm.timeline[int(row["ID"])]
    return True
