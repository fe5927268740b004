"""CRM record to local row: which program table an entity belongs in, and its values.

The functions here are pure: they take a record as `crm.*.get` or `crm.*.list`
returns it (the old upper-case API, where ids and numbers are strings) and the
portal's `CrmMapping`, and return a `MappedRecord`. Links to other CRM entities
stay Bitrix24 ids in `refs`; the store resolves them to local ids.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from b24app.program.normalize import clean_name, normalize_email, normalize_phone

ENTITY_TYPES = ("company", "contact", "deal")

# Logical user field names, the keys of CrmMapping.user_fields.
STUDENT_NUMBER = "student_number"
COURSE = "course"
PROGRAMME = "programme"
SKILLS = "skills"
INTERNSHIP_DEAL = "internship_deal"
SEATS = "seats"
REQUIRED_SKILLS = "required_skills"
CITY = "city"
STARTS_ON = "starts_on"
ENDS_ON = "ends_on"
APPLICATIONS_OPEN_AT = "applications_open_at"
APPLICATIONS_CLOSE_AT = "applications_close_at"

# A `crm`-type user field contains "D_12" for deal 12; plain integers also occur.
_CRM_LINK = re.compile(r"(?:[A-Z]+_)?([0-9]{1,10})")
# Bitrix24 ids are positive integers; the program tables keep them in 32 bits.
_CRM_ID = re.compile(r"[0-9]{1,10}")
MAX_INT32 = 2**31 - 1
# C0 controls and DEL except tab, line feed and carriage return. PostgreSQL text
# cannot hold U+0000, and none of them belongs in a name or a field value.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class MappingRules:
    """The parts of a portal's CrmMapping the mapping reads, as plain values."""

    university_type: str | None = None
    internships_category: int | None = None
    applications_category: int | None = None
    internship_statuses: dict[str, str] = field(default_factory=dict)
    application_stages: dict[str, str] = field(default_factory=dict)
    user_fields: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, mapping: Any | None) -> "MappingRules":
        """Build the rules from a CrmMapping row, or empty rules without one."""
        if mapping is None:
            return cls()
        return cls(
            university_type=mapping.university_company_type_id,
            internships_category=mapping.internships_category_id,
            applications_category=mapping.applications_category_id,
            internship_statuses=_invert(mapping.internship_stage_ids),
            application_stages=_invert(mapping.application_stage_ids),
            user_fields=dict(mapping.user_fields or {}),
        )

    def user_field(self, record: dict[str, Any], logical_name: str) -> Any:
        name = self.user_fields.get(logical_name)
        return record.get(name) if name else None


@dataclass
class MappedRecord:
    """One CRM entity translated for the mirror.

    `kind` is the program table ("university", "employer", "student",
    "internship", "application") or "" for an entity the app ignores.
    """

    entity_type: str
    bitrix_id: int
    kind: str
    date_modify: datetime | None
    values: dict[str, Any]
    refs: dict[str, int | None]

    @property
    def content_hash(self) -> str:
        """SHA-256 of what the mirror stores, so unchanged fetches are detectable."""
        body = json.dumps(
            [self.kind, self.values, self.refs], sort_keys=True, default=str
        )
        return hashlib.sha256(body.encode()).hexdigest()


def map_record(
    entity_type: str, record: dict[str, Any], rules: MappingRules
) -> MappedRecord:
    """Translate one CRM record; raises ValueError for an unknown entity type."""
    mappers = {"company": _company, "contact": _contact, "deal": _deal}
    if entity_type not in mappers:
        raise ValueError(f"unknown CRM entity type {entity_type!r}")

    bitrix_id = parse_crm_id(record.get("ID"))
    if bitrix_id is None:
        raise ValueError(f"{entity_type} record has an invalid ID")

    kind, values, refs = mappers[entity_type](record, rules)
    return MappedRecord(
        entity_type=entity_type,
        bitrix_id=bitrix_id,
        kind=kind,
        date_modify=parse_crm_datetime(record.get("DATE_MODIFY")),
        values={name: strip_control(value) for name, value in values.items()},
        refs=refs,
    )


def parse_crm_id(value: Any) -> int | None:
    """Return a Bitrix24 id sent as a string or number; None unless 1 to 2**31-1.

    Only ASCII digits count: `str.isdigit` accepts "²", which `int` rejects.
    """
    if isinstance(value, bool):
        return None
    text = str(value).strip() if isinstance(value, int | str) else ""
    if not _CRM_ID.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_INT32 else None


def strip_control(value: Any) -> Any:
    """Remove control characters from a string or from the strings of a list."""
    if isinstance(value, str):
        return _CONTROL_CHARACTERS.sub("", value)
    if isinstance(value, list):
        return [strip_control(item) for item in value]
    return value


def _company(record: dict[str, Any], rules: MappingRules) -> tuple:
    name = clean_name(record.get("TITLE")) or f"Company {record['ID']}"
    city = clean_name(record.get("ADDRESS_CITY"))[:120]
    is_university = bool(rules.university_type) and (
        record.get("COMPANY_TYPE") == rules.university_type
    )
    if is_university:
        return "university", {"name": name[:255], "city": city}, {}

    industry = str(record.get("INDUSTRY") or "")[:120]
    return "employer", {"name": name[:255], "city": city, "industry": industry}, {}


def _contact(record: dict[str, Any], rules: MappingRules) -> tuple:
    email = first_multifield(record.get("EMAIL"))
    phone = first_multifield(record.get("PHONE"))
    values = {
        "first_name": clean_name(record.get("NAME"))[:120],
        "last_name": clean_name(record.get("LAST_NAME"))[:120],
        "email": email[:254] if email else None,
        "email_normalized": normalize_email(email),
        "phone": phone[:40] if phone else None,
        "phone_normalized": normalize_phone(phone),
        "student_number": _text_or_none(rules.user_field(record, STUDENT_NUMBER), 64),
        "course": to_int(rules.user_field(record, COURSE)),
        "programme": str(rules.user_field(record, PROGRAMME) or "")[:255],
        "skills": split_list(rules.user_field(record, SKILLS)),
    }
    return "student", values, {"company": to_int(record.get("COMPANY_ID"))}


def _deal(record: dict[str, Any], rules: MappingRules) -> tuple:
    category = to_int(record.get("CATEGORY_ID")) or 0
    stage = str(record.get("STAGE_ID") or "")
    company = to_int(record.get("COMPANY_ID"))

    if (
        rules.internships_category is not None
        and category == rules.internships_category
    ):
        values = {
            "title": (clean_name(record.get("TITLE")) or f"Deal {record['ID']}")[:255],
            "status": rules.internship_statuses.get(stage, "draft"),
            "responsible_user_id": to_int(record.get("ASSIGNED_BY_ID")),
            "seats": to_int(rules.user_field(record, SEATS)) or 1,
            "city": str(rules.user_field(record, CITY) or "")[:120],
            "required_skills": split_list(rules.user_field(record, REQUIRED_SKILLS)),
            "starts_on": to_date(rules.user_field(record, STARTS_ON)),
            "ends_on": to_date(rules.user_field(record, ENDS_ON)),
            "applications_open_at": parse_crm_datetime(
                rules.user_field(record, APPLICATIONS_OPEN_AT)
            ),
            "applications_close_at": parse_crm_datetime(
                rules.user_field(record, APPLICATIONS_CLOSE_AT)
            ),
        }
        return "internship", values, {"company": company}

    if (
        rules.applications_category is not None
        and category == rules.applications_category
    ):
        values = {
            "stage": rules.application_stages.get(stage, "new"),
            "assigned_user_id": to_int(record.get("ASSIGNED_BY_ID")),
        }
        refs = {
            "company": company,
            "contact": to_int(record.get("CONTACT_ID")),
            "internship": crm_link_id(rules.user_field(record, INTERNSHIP_DEAL)),
        }
        return "application", values, refs

    return "", {"category_id": category}, {}


def parse_crm_datetime(value: Any) -> datetime | None:
    """Parse `2026-02-27T09:41:10+03:00`, the form CRM datetimes come in."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


# Mapped values that are dates or datetimes; the ledger keeps them as ISO text.
DATE_VALUES = ("starts_on", "ends_on")
DATETIME_VALUES = ("applications_open_at", "applications_close_at")


def values_to_json(values: dict[str, Any]) -> dict[str, Any]:
    """Mapped values in a form a JSON column stores: dates as ISO text."""
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in values.items()
    }


def values_from_json(values: dict[str, Any]) -> dict[str, Any]:
    """Undo `values_to_json` for records read back from the ledger."""
    restored = dict(values)
    for key in DATE_VALUES:
        if isinstance(restored.get(key), str):
            restored[key] = date.fromisoformat(restored[key])
    for key in DATETIME_VALUES:
        if isinstance(restored.get(key), str):
            restored[key] = datetime.fromisoformat(restored[key])
    return restored


def to_date(value: Any) -> date | None:
    """Parse a `date` user field, sent by Bitrix24 as an ISO datetime at midnight."""
    moment = parse_crm_datetime(value)
    return moment.date() if moment else None


def first_multifield(entries: Any) -> str | None:
    """Return the first VALUE of a PHONE/EMAIL multifield list, or None."""
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if isinstance(entry, dict) and entry.get("VALUE"):
            return str(entry["VALUE"]).strip()
    return None


def to_int(value: Any) -> int | None:
    """Parse an id or number sent as a string; None for empty, invalid or 0.

    Numbers outside the 32-bit range of the program columns are invalid too.
    """
    if value in (None, "", [], False):
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    if abs(number) > MAX_INT32:
        return None
    return number or None


def crm_link_id(value: Any) -> int | None:
    """Return the entity id in a `crm` user field value ("D_12", "12" or a list)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value in (None, ""):
        return None
    match = _CRM_LINK.fullmatch(str(value).strip())
    return parse_crm_id(match.group(1)) if match else None


def split_list(value: Any) -> list[str]:
    """Return a multiple field (list) or a comma-separated string as a sorted list.

    People also type several values into one item of a multiple field
    ("Python, SQL"), so commas split list items too.
    """
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else [value]
    parts = (part.strip() for item in items for part in str(item).split(","))
    return sorted({part for part in parts if part})


def _text_or_none(value: Any, limit: int) -> str | None:
    text = str(value).strip() if value not in (None, "") else ""
    return text[:limit] or None


def _invert(stage_ids: dict[str, str] | None) -> dict[str, str]:
    return {str(crm_id): name for name, crm_id in (stage_ids or {}).items()}
