"""CRM data of one portal: entity tables, pipelines, stages, user fields, timeline."""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from typing import Any

from .crm_store import EntityTable, deal_defaults, stage_semantic
from .wire import RestError, as_list, flag, iso, now

DEFAULT_DEAL_STAGES = [
    ("NEW", "New", "P"),
    ("PREPARATION", "Preparing documents", "P"),
    ("PREPAYMENT_INVOICE", "Invoice", "P"),
    ("EXECUTING", "In progress", "P"),
    ("FINAL_INVOICE", "Final invoice", "P"),
    ("WON", "Deal won", "S"),
    ("LOSE", "Deal lost", "F"),
    ("APOLOGY", "Analyze failure", "F"),
]
REFERENCE_LISTS: dict[str, list[tuple[str, str]]] = {
    "DEAL_TYPE": [
        ("SALE", "Sales"),
        ("COMPLEX", "Complex sale"),
        ("GOODS", "Goods"),
        ("SERVICES", "Services"),
        ("SERVICE", "Service"),
    ],
    "COMPANY_TYPE": [
        ("CUSTOMER", "Client"),
        ("SUPPLIER", "Supplier"),
        ("COMPETITOR", "Competitor"),
        ("PARTNER", "Partner"),
        ("OTHER", "Other"),
    ],
    "CONTACT_TYPE": [
        ("CLIENT", "Clients"),
        ("SUPPLIER", "Suppliers"),
        ("PARTNER", "Partners"),
        ("OTHER", "Other"),
    ],
    "INDUSTRY": [
        ("IT", "Information Technology"),
        ("TELECOM", "Telecommunication"),
        ("MANUFACTURING", "Manufacturing"),
        ("BANKING", "Banking"),
        ("CONSULTING", "Consulting"),
        ("FINANCE", "Finance"),
        ("GOVERNMENT", "Government"),
        ("DELIVERY", "Delivery"),
        ("ENTERTAINMENT", "Entertainment"),
        ("NOTPROFIT", "Non-profit"),
        ("OTHER", "Other"),
    ],
    "EMPLOYEES": [
        ("EMPLOYEES_1", "less than 50"),
        ("EMPLOYEES_2", "50-250"),
        ("EMPLOYEES_3", "250-500"),
        ("EMPLOYEES_4", "over 500"),
    ],
    "SOURCE": [
        ("CALL", "Call"),
        ("EMAIL", "E-Mail"),
        ("WEB", "Website"),
        ("ADVERTISING", "Advertising"),
        ("PARTNER", "Existing client"),
        ("RECOMMENDATION", "By recommendation"),
        ("TRADE_SHOW", "Show/Exhibition"),
        ("WEBFORM", "CRM form"),
        ("CALLBACK", "Callback"),
        ("OTHER", "Other"),
    ],
    "HONORIFIC": [("HNR_RU_1", "Mr."), ("HNR_RU_2", "Mrs.")],
}
USER_FIELD_TYPES = {
    "string",
    "integer",
    "double",
    "boolean",
    "date",
    "datetime",
    "enumeration",
    "url",
    "money",
    "employee",
    "crm",
}


def _userfield_name(raw: Any) -> str:
    """Return the full UF_CRM_ name; the docs allow A-Z, 0-9, _ and 20 characters."""
    name = str(raw or "").upper()
    if not name:
        raise RestError("ERROR_CORE", "FIELD_NAME is not defined.")
    if not name.startswith("UF_CRM_"):
        name = "UF_CRM_" + name
    if len(name) > 20 or not re.fullmatch(r"[A-Z0-9_]+", name):
        raise RestError(
            "ERROR_CORE",
            f"Invalid user field name {name}: use A-Z, 0-9 and _, at most 20 "
            "characters including the UF_CRM_ prefix.",
        )
    return name


def deal_stage_entity(category_id: int) -> str:
    """Return the crm.status ENTITY_ID of a pipeline's stages (`DEAL_STAGE_3`)."""
    return "DEAL_STAGE" if category_id == 0 else f"DEAL_STAGE_{category_id}"


class CrmData:
    """All CRM state of the portal; callers hold the portal lock."""

    def __init__(self) -> None:
        self.tables = {
            name: EntityTable(name) for name in ("deal", "contact", "company")
        }
        self.categories: dict[int, dict[str, Any]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.deal_contacts: dict[int, list[dict[str, Any]]] = {}
        self.timeline: dict[int, dict[str, Any]] = {}
        self._status_ids = itertools.count(1)
        self._stage_cache: dict[int, list[dict[str, Any]]] = {}
        self._category_ids = itertools.count(1)
        self._userfield_ids = itertools.count(101)
        self._timeline_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        # The decoded content of files attached to timeline comments, by file id.
        self.timeline_files: dict[int, bytes] = {}
        self.categories[0] = {
            "id": 0,
            "name": "General",
            "sort": 100,
            "entityTypeId": 2,
            "isDefault": "Y",
        }
        self._add_stages(0)
        for entity_id, rows in REFERENCE_LISTS.items():
            for sort, (status_id, name) in enumerate(rows, start=1):
                self.add_status(entity_id, status_id, name, sort * 10, system=True)

    # -- statuses and pipelines ---------------------------------------------

    def add_status(
        self,
        entity_id: str,
        status_id: str,
        name: str,
        sort: int,
        system: bool = False,
        semantics: str | None = None,
        category_id: int | None = None,
    ) -> dict[str, Any]:
        """Add a row to a crm.status list and return it."""
        if any(
            row["ENTITY_ID"] == entity_id and row["STATUS_ID"] == status_id
            for row in self.statuses
        ):
            raise RestError(
                "ERROR_CORE", f"Status {status_id} already exists in {entity_id}."
            )
        row = {
            "ID": str(next(self._status_ids)),
            "ENTITY_ID": entity_id,
            "STATUS_ID": status_id,
            "NAME": name,
            "NAME_INIT": name if system else "",
            "SORT": str(sort),
            "SYSTEM": "Y" if system else "N",
            "CATEGORY_ID": None if category_id is None else str(category_id),
            "COLOR": "#39A8EF",
            "SEMANTICS": semantics,
            "EXTRA": {
                "SEMANTICS": {"P": "process", "S": "success", "F": "failure"}.get(
                    semantics or "", ""
                ),
                "COLOR": "#39A8EF",
            }
            if semantics
            else None,
        }
        if row["EXTRA"] is None:
            del row["EXTRA"]
        self.statuses.append(row)
        self.statuses_changed()
        return row

    def _add_stages(self, category_id: int) -> None:
        prefix = "" if category_id == 0 else f"C{category_id}:"
        for sort, (code, name, semantics) in enumerate(DEFAULT_DEAL_STAGES, start=1):
            if category_id and code in {
                "PREPAYMENT_INVOICE",
                "FINAL_INVOICE",
                "APOLOGY",
            }:
                continue
            self.add_status(
                deal_stage_entity(category_id),
                prefix + code,
                name,
                sort * 10,
                system=code in {"NEW", "WON", "LOSE"},
                semantics=semantics,
                category_id=category_id,
            )

    def stages(self, category_id: int) -> list[dict[str, Any]]:
        """Return a pipeline's stages sorted by SORT, cached for bulk inserts."""
        cached = self._stage_cache.get(category_id)
        if cached is None:
            entity = deal_stage_entity(category_id)
            rows = [row for row in self.statuses if row["ENTITY_ID"] == entity]
            cached = sorted(rows, key=lambda row: int(row["SORT"]))
            self._stage_cache[category_id] = cached
        return cached

    def statuses_changed(self) -> None:
        """Forget cached stage lists after a crm.status row changed."""
        self._stage_cache.clear()

    def add_category(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Create a deal pipeline with its default stages."""
        category_id = next(self._category_ids)
        category = {
            "id": category_id,
            "name": str(fields.get("name") or f"Pipeline {category_id}"),
            "sort": int(fields.get("sort") or 500),
            "entityTypeId": 2,
            "isDefault": "N",
        }
        self.categories[category_id] = category
        self._add_stages(category_id)
        return category

    def require_category(self, category_id: Any) -> dict[str, Any]:
        """Return a pipeline or raise NOT_FOUND."""
        try:
            return self.categories[int(category_id)]
        except (KeyError, TypeError, ValueError) as exc:
            raise RestError("NOT_FOUND", "Category not found") from exc

    def delete_category(self, category_id: int) -> None:
        """Delete an empty non-default pipeline and its stages."""
        category = self.require_category(category_id)
        if category["id"] == 0:
            raise RestError("ERROR_CORE", "The default category cannot be deleted.")
        entity = deal_stage_entity(category["id"])
        self.statuses = [row for row in self.statuses if row["ENTITY_ID"] != entity]
        self.statuses_changed()
        del self.categories[category["id"]]

    # -- entities ------------------------------------------------------------

    def add(self, entity: str, fields: dict[str, Any], user_id: int) -> int:
        """Create a deal, contact or company and return its id."""
        fields = {str(key).upper(): value for key, value in fields.items()}
        table = self.tables[entity]
        defaults: dict[str, Any] = {}
        if entity == "deal":
            category_id = int(float(fields.get("CATEGORY_ID") or 0))
            self.require_category(category_id)
            defaults = deal_defaults(
                category_id, self.stages(category_id)[0]["STATUS_ID"]
            )
        elif entity == "company":
            defaults = {
                "COMPANY_TYPE": "CUSTOMER",
                "CURRENCY_ID": "RUB",
                "REVENUE": "0.00",
                "IS_MY_COMPANY": "N",
            }
        elif entity == "contact":
            defaults = {"TYPE_ID": "CLIENT", "EXPORT": "Y", "COMPANY_ID": None}
        row_id = table.insert(fields, user_id, defaults)
        if entity == "deal":
            row = table.rows[row_id]
            if not fields.get("TITLE"):
                row["TITLE"] = f"Deal #{row_id}"
            self._after_deal_write(row_id, fields)
        return row_id

    def update(
        self,
        entity: str,
        row_id: Any,
        fields: dict[str, Any],
        user_id: int,
        allow_category: bool = False,
    ) -> dict[str, Any]:
        """Update an entity; CATEGORY_ID changes only with `allow_category`."""
        fields = {str(key).upper(): value for key, value in fields.items()}
        table = self.tables[entity]
        row = table.require(row_id)
        if entity == "deal":
            fields = self._deal_category_move(row, fields, allow_category)
        table.modify(int(row["ID"]), fields, user_id)
        if entity == "deal":
            self._after_deal_write(int(row["ID"]), fields)
        return row

    def delete(self, entity: str, row_id: Any) -> None:
        """Delete an entity and its links."""
        row = self.tables[entity].require(row_id)
        self.tables[entity].remove(int(row["ID"]))
        if entity == "deal":
            self.deal_contacts.pop(int(row["ID"]), None)

    def _deal_category_move(
        self, row: dict[str, Any], fields: dict[str, Any], allow_category: bool
    ) -> dict[str, Any]:
        fields = dict(fields)
        new_category = fields.pop("CATEGORY_ID", None)
        if allow_category and new_category not in (None, ""):
            category_id = int(float(new_category))
            self.require_category(category_id)
            if str(category_id) != row["CATEGORY_ID"]:
                row["CATEGORY_ID"] = str(category_id)
                fields.setdefault("STAGE_ID", self.stages(category_id)[0]["STATUS_ID"])
        return fields

    def _after_deal_write(self, deal_id: int, fields: dict[str, Any]) -> None:
        row = self.tables["deal"].rows[deal_id]
        valid = {stage["STATUS_ID"] for stage in self.stages(int(row["CATEGORY_ID"]))}
        if row["STAGE_ID"] not in valid:
            row["STAGE_ID"] = self.stages(int(row["CATEGORY_ID"]))[0]["STATUS_ID"]
        row["STAGE_SEMANTIC_ID"] = stage_semantic(row["STAGE_ID"])
        row["CLOSED"] = "N" if row["STAGE_SEMANTIC_ID"] == "P" else "Y"
        if "CONTACT_IDS" in fields:
            row.pop("CONTACT_IDS", None)
            self.set_deal_contacts(
                deal_id,
                [{"CONTACT_ID": value} for value in as_list(fields["CONTACT_IDS"])],
            )
        elif fields.get("CONTACT_ID") not in (None, ""):
            links = self.deal_contacts.get(deal_id, [])
            if not any(
                str(link["CONTACT_ID"]) == str(fields["CONTACT_ID"]) for link in links
            ):
                self.add_deal_contact(
                    deal_id, {"CONTACT_ID": fields["CONTACT_ID"], "IS_PRIMARY": "Y"}
                )
        row.pop("CONTACT_IDS", None)

    # -- deal contacts -------------------------------------------------------

    def set_deal_contacts(self, deal_id: int, items: list[dict[str, Any]]) -> None:
        """Replace a deal's contact links; the first or flagged one becomes primary."""
        links = []
        for index, item in enumerate(items):
            item = {str(key).upper(): value for key, value in item.items()}
            contact_id = int(float(item.get("CONTACT_ID") or 0))
            if contact_id <= 0:
                continue
            links.append(
                {
                    "CONTACT_ID": contact_id,
                    "SORT": int(item.get("SORT") or (index + 1) * 10),
                    "ROLE_ID": 0,
                    "IS_PRIMARY": flag(item.get("IS_PRIMARY", "N")),
                }
            )
        self._store_links(deal_id, links)

    def add_deal_contact(self, deal_id: int, item: dict[str, Any]) -> None:
        """Add one contact link to a deal."""
        links = list(self.deal_contacts.get(deal_id, []))
        item = {str(key).upper(): value for key, value in item.items()}
        contact_id = int(float(item.get("CONTACT_ID") or 0))
        links = [link for link in links if link["CONTACT_ID"] != contact_id]
        primary = flag(item.get("IS_PRIMARY", "N"))
        if primary == "Y":
            for link in links:
                link["IS_PRIMARY"] = "N"
        links.append(
            {
                "CONTACT_ID": contact_id,
                "SORT": int(item.get("SORT") or (len(links) + 1) * 10),
                "ROLE_ID": 0,
                "IS_PRIMARY": primary,
            }
        )
        self._store_links(deal_id, links)

    def _store_links(self, deal_id: int, links: list[dict[str, Any]]) -> None:
        links.sort(key=lambda link: link["SORT"])
        if links and not any(link["IS_PRIMARY"] == "Y" for link in links):
            links[0]["IS_PRIMARY"] = "Y"
        self.deal_contacts[deal_id] = links
        primary = next((link for link in links if link["IS_PRIMARY"] == "Y"), None)
        row = self.tables["deal"].rows[deal_id]
        row["CONTACT_ID"] = str(primary["CONTACT_ID"]) if primary else None

    # -- user fields ---------------------------------------------------------

    def add_userfield(self, entity: str, fields: dict[str, Any]) -> int:
        """Create a UF_CRM_* field; a name without the prefix gets it added."""
        fields = {str(key).upper(): value for key, value in fields.items()}
        table = self.tables[entity]
        name = _userfield_name(fields.get("FIELD_NAME"))
        if name in table.userfields:
            raise RestError("ERROR_CORE", f"User field {name} already exists.")
        user_type = str(fields.get("USER_TYPE_ID") or "string")
        if user_type not in USER_FIELD_TYPES:
            raise RestError("ERROR_CORE", f"Invalid USER_TYPE_ID {user_type}.")

        field_id = next(self._userfield_ids)
        label = fields.get("LABEL") or name
        definition = {
            "ID": str(field_id),
            "ENTITY_ID": f"CRM_{entity.upper()}",
            "FIELD_NAME": name,
            "USER_TYPE_ID": user_type,
            "XML_ID": fields.get("XML_ID"),
            "SORT": str(fields.get("SORT") or 100),
            "MULTIPLE": flag(fields.get("MULTIPLE", "N")),
            "MANDATORY": flag(fields.get("MANDATORY", "N")),
            "SHOW_FILTER": flag(fields.get("SHOW_FILTER", "N")),
            "SHOW_IN_LIST": flag(fields.get("SHOW_IN_LIST", "N")),
            "EDIT_IN_LIST": flag(fields.get("EDIT_IN_LIST", "Y")),
            "IS_SEARCHABLE": flag(fields.get("IS_SEARCHABLE", "N")),
            "SETTINGS": fields.get("SETTINGS") or {},
            "EDIT_FORM_LABEL": fields.get("EDIT_FORM_LABEL") or label,
            "LIST_COLUMN_LABEL": fields.get("LIST_COLUMN_LABEL") or label,
            "LIST_FILTER_LABEL": fields.get("LIST_FILTER_LABEL") or label,
        }
        if user_type == "enumeration":
            definition["LIST"] = self._enumeration_items(fields.get("LIST"))

        table.userfields[name] = definition
        for row in table.rows.values():
            row.setdefault(name, None)
        return field_id

    def _enumeration_items(self, raw: Any) -> list[dict[str, Any]]:
        items = []
        for item in as_list(raw):
            if not isinstance(item, dict):
                continue
            item = {str(key).upper(): value for key, value in item.items()}
            if not item.get("VALUE"):
                continue
            items.append(
                {
                    "ID": str(next(self._userfield_ids)),
                    "SORT": str(item.get("SORT") or 0),
                    "VALUE": str(item["VALUE"]),
                    "DEF": flag(item.get("DEF", "N")),
                    "XML_ID": str(item.get("XML_ID") or ""),
                }
            )
        return items

    def find_userfield(self, entity: str, field_id: Any) -> dict[str, Any]:
        """Return a user field definition by ID or raise."""
        for definition in self.tables[entity].userfields.values():
            if definition["ID"] == str(field_id):
                return definition
        raise RestError("ERROR_NOT_FOUND", "The user field is not found.")

    # -- timeline ------------------------------------------------------------

    def add_comment(self, fields: dict[str, Any], user_id: int) -> int:
        """Add a timeline comment to a deal, contact or company."""
        entity_type = str(fields.get("ENTITY_TYPE") or "").lower()
        if entity_type not in self.tables:
            raise RestError("ERROR_WRONG_ENTITY_TYPE", "Invalid entity type.")
        entity_id = int(float(fields.get("ENTITY_ID") or 0))
        if entity_id not in self.tables[entity_type].rows:
            raise RestError("NOT_FOUND", "Owner entity not found.")
        if not fields.get("COMMENT"):
            raise RestError("ERROR_EMPTY_COMMENT", "Empty comment message.")
        author_id = int(fields.get("AUTHOR_ID") or user_id)
        files = self._comment_files(fields.get("FILES"), author_id)
        comment_id = next(self._timeline_ids)
        self.timeline[comment_id] = {
            "ID": str(comment_id),
            "CREATED": iso(now()),
            "ENTITY_ID": str(entity_id),
            "ENTITY_TYPE": entity_type,
            "AUTHOR_ID": str(author_id),
            "COMMENT": str(fields["COMMENT"]),
            "FILES": files or [],
        }
        return comment_id

    def _comment_files(self, files: Any, author_id: int) -> dict[str, Any]:
        """Store the attached [name, base64 content] pairs as Bitrix24 lists them.

        Bitrix24 returns FILES keyed by disk file id with the name and size in
        bytes (REST docs, crm.timeline.comment.get). The decoded content goes to
        `timeline_files` by file id, outside the REST output, so a test can read
        the file it received.
        """
        stored: dict[str, Any] = {}
        for item in as_list(files):
            pair = as_list(item)
            if len(pair) != 2:
                raise RestError(
                    "ERROR_ARGUMENT", "Invalid FILES item: use [name, base64 content]."
                )
            name, encoded = pair
            try:
                content = base64.b64decode(str(encoded), validate=True)
            except binascii.Error:
                raise RestError(
                    "ERROR_ARGUMENT", f"File {name!r} is not valid base64."
                ) from None
            file_id = next(self._file_ids)
            stored[str(file_id)] = {
                "id": file_id,
                "date": iso(now()),
                "type": "file",
                "name": str(name),
                "size": len(content),
                "authorId": author_id,
            }
            self.timeline_files[file_id] = content
        return stored
