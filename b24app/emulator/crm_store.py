"""In-memory CRM tables: deals, contacts, companies in the old API's wire form."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from . import filters as flt
from .crm_schema import FIELDS_BY_ENTITY, MULTIFIELDS
from .wire import RestError, as_list, flag, iso, now, parse_datetime

_multifield_ids = itertools.count(1)


def stage_semantic(stage_id: str) -> str:
    """Return `S` for won, `F` for lost and `P` for in-progress stages."""
    code = stage_id.split(":")[-1]
    if code == "WON":
        return "S"
    if code in {"LOSE", "APOLOGY"}:
        return "F"
    return "P"


def normalise_value(field_type: str, value: Any) -> Any:
    """Convert a client value to the string form the old CRM methods return."""
    if value is None or value == "":
        return None
    if field_type in flt.NUMERIC_TYPES:
        try:
            return str(int(float(value)))
        except (TypeError, ValueError):
            return None
    if field_type == "double":
        try:
            return f"{float(value):.2f}"
        except (TypeError, ValueError):
            return None
    if field_type in flt.DATE_TYPES:
        return iso(parse_datetime(value))
    if field_type == "char":
        return flag(value)
    if field_type == "boolean":
        return "1" if flag(value) == "Y" else "0"
    return str(value)


class EntityTable:
    """One CRM entity type; `ids` stays sorted so `>ID` scans start with a bisect."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.fields = FIELDS_BY_ENTITY[entity]
        self.rows: dict[int, dict[str, Any]] = {}
        self.ids: list[int] = []
        self.next_id = 1
        self.userfields: dict[str, dict[str, Any]] = {}

    # -- field typing --------------------------------------------------------

    def field_type(self, name: str) -> str | None:
        """Return the type of a field name, user fields and multifields included."""
        if name in self.fields:
            return self.fields[name][0]
        if name in self.userfields:
            return _uf_type(self.userfields[name])
        if name in MULTIFIELDS and self.entity != "deal":
            return "crm_multifield"
        return None

    def standard_names(self) -> list[str]:
        """Return the names `*` selects: standard fields without multifields."""
        return [
            name for name in self.fields if name not in {"CONTACT_IDS", "COMPANY_IDS"}
        ]

    # -- writes --------------------------------------------------------------

    def insert(
        self, fields: dict[str, Any], user_id: int, defaults: dict[str, Any]
    ) -> int:
        """Create a row and return its id; `defaults` fill fields the client omitted."""
        row_id = self.next_id
        self.next_id += 1
        moment = iso(now())
        row: dict[str, Any] = {name: None for name in self.standard_names()}
        row.update(defaults)
        row.update(
            ID=str(row_id),
            ASSIGNED_BY_ID=str(user_id),
            CREATED_BY_ID=str(user_id),
            MODIFY_BY_ID=str(user_id),
            DATE_CREATE=moment,
            DATE_MODIFY=moment,
            OPENED="Y",
        )
        for name in MULTIFIELDS if self.entity != "deal" else ():
            row[name] = []
        for name in self.userfields:
            row[name] = None
        self._apply(row, fields)
        self.rows[row_id] = row
        self.ids.append(row_id)
        return row_id

    def clone(self, template_id: int, count: int, title_field: str) -> int:
        """Append `count` copies of a row with new ids and titles; return the last id.

        Bulk benchmarks use this: copying a dict is far cheaper than a full insert.
        """
        template = self.rows[template_id]
        base_title = template.get(title_field) or ""
        for _ in range(count):
            row_id = self.next_id
            self.next_id += 1
            row = dict(template)
            row["ID"] = str(row_id)
            row[title_field] = f"{base_title} {row_id}"
            for name in MULTIFIELDS if self.entity != "deal" else ():
                row[name] = [
                    dict(item, ID=str(next(_multifield_ids))) for item in template[name]
                ]
            self.rows[row_id] = row
            self.ids.append(row_id)
        return self.next_id - 1

    def modify(
        self, row_id: int, fields: dict[str, Any], user_id: int
    ) -> dict[str, Any]:
        """Update a row in place, bump DATE_MODIFY and return the row."""
        row = self.require(row_id)
        self._apply(row, fields)
        row["MODIFY_BY_ID"] = str(user_id)
        row["DATE_MODIFY"] = iso(now())
        return row

    def remove(self, row_id: int) -> None:
        """Delete a row."""
        self.require(row_id)
        del self.rows[row_id]
        index = flt.bisect.bisect_left(self.ids, row_id)
        del self.ids[index]

    def require(self, row_id: Any) -> dict[str, Any]:
        """Return a row or raise the old API's `Not found` error."""
        try:
            key = int(float(row_id))
        except (TypeError, ValueError) as exc:
            raise RestError("", "ID is not defined or invalid.") from exc
        row = self.rows.get(key)
        if row is None:
            raise RestError("", "Not found")
        return row

    def _apply(self, row: dict[str, Any], fields: dict[str, Any]) -> None:
        for raw_name, value in fields.items():
            name = raw_name.upper()
            if name in MULTIFIELDS and self.entity != "deal":
                _merge_multifield(row, name, value)
                continue
            spec_type = self.field_type(name)
            if spec_type is None or name == "ID" or self._read_only(name):
                continue
            if name in self.userfields and self.userfields[name].get("MULTIPLE") == "Y":
                row[name] = [
                    normalise_value(spec_type, item) for item in as_list(value)
                ]
                continue
            row[name] = normalise_value(spec_type, value)
        if self.entity != "deal":
            row["HAS_PHONE"] = "Y" if row.get("PHONE") else "N"
            row["HAS_EMAIL"] = "Y" if row.get("EMAIL") else "N"
            row["HAS_IMOL"] = "N"

    def _read_only(self, name: str) -> bool:
        spec = self.fields.get(name)
        return bool(spec and spec[1])

    # -- reads ---------------------------------------------------------------

    def query(
        self, filters: dict[str, Any], order: list[tuple[str, bool]], start: int
    ) -> tuple[list[dict[str, Any]], int, int | None]:
        """Return (page rows, total, next) the way the old list methods count them."""
        predicates = flt.build_predicates(filters, self.field_type)
        for name, _ in order:
            if self.field_type(name) is None:
                raise RestError("INVALID_ARG_VALUE", f"Invalid order: field '{name}'")
        if flt.never in predicates:
            return [], 0, None
        if start < 0:
            matches = self._scan(filters, order, predicates)
            return list(itertools.islice(matches, flt.PAGE_SIZE)), 0, None
        if order and not _id_only(order):
            rows = self._sorted(list(self._scan(filters, order, predicates)), order)
            return _offset_page(rows, start, len(rows))
        return self._id_order_page(filters, order, predicates, start)

    def _id_order_page(
        self,
        filters: dict[str, Any],
        order: list[tuple[str, bool]],
        predicates: list[flt.Predicate],
        start: int,
    ) -> tuple[list[dict[str, Any]], int, int | None]:
        """Return an offset page in id order without building the whole result.

        Offset clients such as fast_bitrix24 `get_all` read every page of a list,
        so a page that copied and counted all matching rows made an export
        quadratic. Without field filters the page is a slice of the sorted id
        index. With them one pass counts the matches and keeps only the page.
        """
        descending = bool(order) and order[0][1]
        low, high = flt.id_bounds(filters)
        ids = flt.ids_between(self.ids, low, high, descending)
        if not predicates:
            page_ids = ids[start : start + flt.PAGE_SIZE]
            page = [self.rows[row_id] for row_id in page_ids]
            return page, len(ids), _following(start, len(ids))

        page = []
        total = 0
        end = start + flt.PAGE_SIZE
        for row_id in ids:
            row = self.rows[row_id]
            if all(check(row) for check in predicates):
                if start <= total < end:
                    page.append(row)
                total += 1
        return page, total, _following(start, total)

    def _scan(
        self,
        filters: dict[str, Any],
        order: list[tuple[str, bool]],
        predicates: list[flt.Predicate],
    ) -> Iterator[dict[str, Any]]:
        descending = bool(order) and _id_only(order) and order[0][1]
        low, high = flt.id_bounds(filters)
        for row_id in flt.iterate_ids(self.ids, low, high, descending):
            row = self.rows[row_id]
            if all(check(row) for check in predicates):
                yield row

    def _sorted(
        self, rows: list[dict[str, Any]], order: list[tuple[str, bool]]
    ) -> list[dict[str, Any]]:
        for name, descending in reversed(order):
            field_type = self.field_type(name) or "string"

            def key(
                row: dict[str, Any], name: str = name, field_type: str = field_type
            ) -> Any:
                value = flt._coerce(field_type, row.get(name))
                return (value is not None, value if value is not None else 0)

            rows.sort(key=key, reverse=descending)
        return rows

    def project(self, row: dict[str, Any], select: list[str]) -> dict[str, Any]:
        """Return the selected fields of a row; ID is always included."""
        names = self.select_names(select)
        return {name: row.get(name) for name in names}

    def select_names(self, select: list[str]) -> list[str]:
        """Expand `*` and `UF_*` in a select list."""
        wanted = [str(name).upper() for name in select] or ["*", "UF_*"]
        names: list[str] = ["ID"]
        for name in wanted:
            if name == "*":
                names.extend(self.standard_names())
            elif name == "UF_*":
                names.extend(self.userfields)
            elif self.field_type(name) is not None:
                names.append(name)
        return list(dict.fromkeys(names))

    def full(self, row: dict[str, Any]) -> dict[str, Any]:
        """Return every field of a row as the `.get` methods do."""
        names = self.standard_names() + list(self.userfields)
        if self.entity != "deal":
            names += [name for name in MULTIFIELDS if row.get(name)]
        return {name: row.get(name) for name in names}


def _offset_page(
    rows: list[dict[str, Any]], start: int, total: int
) -> tuple[list[dict[str, Any]], int, int | None]:
    return rows[start : start + flt.PAGE_SIZE], total, _following(start, total)


def _following(start: int, total: int) -> int | None:
    """Return the old API's `next`: the next page's offset, or None after the last."""
    following = start + flt.PAGE_SIZE
    return following if following < total else None


def _id_only(order: list[tuple[str, bool]]) -> bool:
    return len(order) == 1 and order[0][0] == "ID"


def _uf_type(definition: dict[str, Any]) -> str:
    user_type = definition.get("USER_TYPE_ID", "string")
    return {
        "integer": "integer",
        "double": "double",
        "date": "date",
        "datetime": "datetime",
    }.get(user_type, "boolean" if user_type == "boolean" else "string")


def _merge_multifield(row: dict[str, Any], type_id: str, value: Any) -> None:
    """Apply the documented multifield rules: ID overwrites, DELETE=Y removes."""
    current: list[dict[str, Any]] = row.setdefault(type_id, []) or []
    by_id = {item["ID"]: item for item in current}
    for entry in as_list(value):
        if not isinstance(entry, dict):
            entry = {"VALUE": entry}
        entry = {str(key).upper(): item for key, item in entry.items()}
        entry_id = str(entry.get("ID") or "")
        if entry_id and entry_id in by_id:
            if flag(entry.get("DELETE", "N")) == "Y" or not entry.get("VALUE"):
                current.remove(by_id.pop(entry_id))
                continue
            by_id[entry_id]["VALUE"] = str(entry["VALUE"])
            by_id[entry_id]["VALUE_TYPE"] = str(entry.get("VALUE_TYPE") or "WORK")
            continue
        if not entry.get("VALUE"):
            continue
        item = {
            "ID": str(next(_multifield_ids)),
            "VALUE_TYPE": str(entry.get("VALUE_TYPE") or "WORK"),
            "VALUE": str(entry["VALUE"]),
            "TYPE_ID": type_id,
        }
        current.append(item)
        by_id[item["ID"]] = item
    row[type_id] = current


def deal_defaults(category_id: int, first_stage: str) -> dict[str, Any]:
    """Return the values a new deal gets when the client does not send them."""
    today = now().replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "CATEGORY_ID": str(category_id),
        "STAGE_ID": first_stage,
        "STAGE_SEMANTIC_ID": "P",
        "TYPE_ID": "SALE",
        "IS_NEW": "Y",
        "IS_RECURRING": "N",
        "IS_RETURN_CUSTOMER": "N",
        "IS_REPEATED_APPROACH": "N",
        "CURRENCY_ID": "RUB",
        "OPPORTUNITY": "0.00",
        "IS_MANUAL_OPPORTUNITY": "N",
        "TAX_VALUE": "0.00",
        "COMPANY_ID": "0",
        "CONTACT_ID": None,
        "BEGINDATE": iso(today),
        "CLOSEDATE": iso(today + timedelta(days=7)),
        "CLOSED": "N",
    }
