"""Field definitions of deals, contacts and companies for `crm.*.fields`."""

from __future__ import annotations

from typing import Any

# name: (type, read-only, statusType or None)
_COMMON_TAIL: dict[str, tuple[str, bool, str | None]] = {
    "ASSIGNED_BY_ID": ("user", False, None),
    "CREATED_BY_ID": ("user", True, None),
    "MODIFY_BY_ID": ("user", True, None),
    "DATE_CREATE": ("datetime", True, None),
    "DATE_MODIFY": ("datetime", True, None),
    "OPENED": ("char", False, None),
    "COMMENTS": ("string", False, None),
    "SOURCE_ID": ("crm_status", False, "SOURCE"),
    "SOURCE_DESCRIPTION": ("string", False, None),
    "ORIGINATOR_ID": ("string", False, None),
    "ORIGIN_ID": ("string", False, None),
    "LAST_ACTIVITY_TIME": ("datetime", True, None),
    "LAST_ACTIVITY_BY": ("user", True, None),
    "UTM_SOURCE": ("string", False, None),
    "UTM_MEDIUM": ("string", False, None),
    "UTM_CAMPAIGN": ("string", False, None),
    "UTM_CONTENT": ("string", False, None),
    "UTM_TERM": ("string", False, None),
}

DEAL_FIELDS: dict[str, tuple[str, bool, str | None]] = {
    "ID": ("integer", True, None),
    "TITLE": ("string", False, None),
    "TYPE_ID": ("crm_status", False, "DEAL_TYPE"),
    "CATEGORY_ID": ("crm_category", False, None),
    "STAGE_ID": ("crm_status", False, "DEAL_STAGE"),
    "STAGE_SEMANTIC_ID": ("string", True, None),
    "IS_NEW": ("char", True, None),
    "IS_RECURRING": ("char", False, None),
    "IS_RETURN_CUSTOMER": ("char", False, None),
    "IS_REPEATED_APPROACH": ("char", False, None),
    "PROBABILITY": ("integer", False, None),
    "CURRENCY_ID": ("crm_currency", False, None),
    "OPPORTUNITY": ("double", False, None),
    "IS_MANUAL_OPPORTUNITY": ("char", False, None),
    "TAX_VALUE": ("double", False, None),
    "COMPANY_ID": ("crm_company", False, None),
    "CONTACT_ID": ("crm_contact", False, None),
    "CONTACT_IDS": ("crm_contact", False, None),
    "QUOTE_ID": ("crm_quote", True, None),
    "BEGINDATE": ("date", False, None),
    "CLOSEDATE": ("date", False, None),
    "CLOSED": ("char", False, None),
    "ADDITIONAL_INFO": ("string", False, None),
    "LOCATION_ID": ("location", False, None),
    "LEAD_ID": ("crm_lead", True, None),
    "MOVED_BY_ID": ("user", True, None),
    "MOVED_TIME": ("datetime", True, None),
    **_COMMON_TAIL,
}

CONTACT_FIELDS: dict[str, tuple[str, bool, str | None]] = {
    "ID": ("integer", True, None),
    "HONORIFIC": ("crm_status", False, "HONORIFIC"),
    "NAME": ("string", False, None),
    "SECOND_NAME": ("string", False, None),
    "LAST_NAME": ("string", False, None),
    "PHOTO": ("file", False, None),
    "BIRTHDATE": ("date", False, None),
    "TYPE_ID": ("crm_status", False, "CONTACT_TYPE"),
    "POST": ("string", False, None),
    "ADDRESS": ("string", False, None),
    "ADDRESS_CITY": ("string", False, None),
    "ADDRESS_COUNTRY": ("string", False, None),
    "EXPORT": ("char", False, None),
    "HAS_PHONE": ("char", True, None),
    "HAS_EMAIL": ("char", True, None),
    "HAS_IMOL": ("char", True, None),
    "COMPANY_ID": ("crm_company", False, None),
    "COMPANY_IDS": ("crm_company", False, None),
    "LEAD_ID": ("crm_lead", True, None),
    **_COMMON_TAIL,
}

COMPANY_FIELDS: dict[str, tuple[str, bool, str | None]] = {
    "ID": ("integer", True, None),
    "TITLE": ("string", False, None),
    "COMPANY_TYPE": ("crm_status", False, "COMPANY_TYPE"),
    "LOGO": ("file", False, None),
    "ADDRESS": ("string", False, None),
    "ADDRESS_CITY": ("string", False, None),
    "ADDRESS_COUNTRY": ("string", False, None),
    "BANKING_DETAILS": ("string", False, None),
    "INDUSTRY": ("crm_status", False, "INDUSTRY"),
    "EMPLOYEES": ("crm_status", False, "EMPLOYEES"),
    "CURRENCY_ID": ("crm_currency", False, None),
    "REVENUE": ("double", False, None),
    "IS_MY_COMPANY": ("char", False, None),
    "HAS_PHONE": ("char", True, None),
    "HAS_EMAIL": ("char", True, None),
    "HAS_IMOL": ("char", True, None),
    "LEAD_ID": ("crm_lead", True, None),
    **_COMMON_TAIL,
}

MULTIFIELDS = ("PHONE", "EMAIL", "WEB", "IM")

ENTITY_TYPES: dict[str, int] = {"deal": 2, "contact": 3, "company": 4}
ENTITY_NAMES: dict[int, str] = {value: key for key, value in ENTITY_TYPES.items()}
FIELDS_BY_ENTITY = {
    "deal": DEAL_FIELDS,
    "contact": CONTACT_FIELDS,
    "company": COMPANY_FIELDS,
}

# Fields that crm.item.* names differently from the plain camelCase of the old name.
ITEM_NAMES: dict[str, str] = {
    "DATE_CREATE": "createdTime",
    "DATE_MODIFY": "updatedTime",
    "CREATED_BY_ID": "createdBy",
    "MODIFY_BY_ID": "updatedBy",
    "MOVED_BY_ID": "movedBy",
    "BEGINDATE": "begindate",
    "CLOSEDATE": "closedate",
    "BIRTHDATE": "birthdate",
    "COMPANY_TYPE": "typeId",
}
# Values crm.item.* returns as JSON numbers rather than strings.
ITEM_INT_TYPES = {
    "integer",
    "user",
    "crm_company",
    "crm_contact",
    "crm_category",
    "crm_lead",
}


def camel_name(name: str) -> str:
    """Convert an old upper-case field name to its crm.item.* camelCase name.

    `UF_CRM_PRIORITY` becomes `ufCrmPriority` and `UF_CRM_1720019876534` becomes
    `ufCrm_1720019876534`, as in the crm.item.get documentation example.
    """
    if name in ITEM_NAMES:
        return ITEM_NAMES[name]
    parts = name.lower().split("_")
    out = parts[0]
    for part in parts[1:]:
        if part and part[0].isdigit():
            out += "_" + part
        else:
            out += part.capitalize()
    return out


def field_description(
    name: str, spec: tuple[str, bool, str | None], title: str | None = None
) -> dict[str, Any]:
    """Describe one field in the shape crm.deal.fields returns."""
    field_type, read_only, status_type = spec
    description: dict[str, Any] = {
        "type": field_type,
        "isRequired": False,
        "isReadOnly": read_only,
        "isImmutable": name == "CATEGORY_ID",
        "isMultiple": name in {"CONTACT_IDS", "COMPANY_IDS"},
        "isDynamic": False,
        "title": title or name.replace("_", " ").title(),
    }
    if status_type:
        description["statusType"] = status_type
    if name == "CONTACT_ID":
        description["isDeprecated"] = True
    return description
