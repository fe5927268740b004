"""Scope of the mirrored records a non-admin sees in the app page's lists.

Rendering a list must not call Bitrix24 per row, so each user gets a scope
snapshot once per session (cached as long as a session token lives): per CRM
type, one of

- "all": `crm.item.list` with the user's token counts as many records as with
  the portal's token, so the user reads every record of that type;
- "ids": the user reads some records, at most `ID_LIMIT`, and their ids are
  fetched page by page (50 per page, the documented fixed page size);
- "own": the user reads more than `ID_LIMIT` but not all. Only applications
  whose assigned recruiter is the user are shown, a subset of what the user may
  read, because the mirror cannot tell which other records those are;
- "none": the user reads no record of that type, or the portal did not respond.

`crm.item.list` leaves out the records a user may not read
(api-reference/crm/universal/crm-item-list.md in bitrix24/b24restdocs), so
the totals and ids come straight from the user's CRM permissions.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, select

from b24app.bitrix.errors import BitrixError
from b24app.extensions import db
from b24app.program.models import Application, Employer, Internship, Student, University
from b24app.tenancy.clients import client_for
from b24app.tenancy.models import Portal
from b24app.web.crm_access import (
    CACHE_SECONDS,
    COMPANY,
    CONTACT,
    DEAL,
    AccessCheckFailed,
    access_cache,
    user_call,
)
from b24app.web.session import SESSION_MAX_AGE

log = logging.getLogger(__name__)

ID_LIMIT = 500
PAGE_SIZE = 50
CACHE_PREFIX = "b24app:list-scope:"
# The app page's lists: the model listed and the CRM type of its records.
SECTION_TYPES = {
    "universities": (University, COMPANY),
    "employers": (Employer, COMPANY),
    "students": (Student, CONTACT),
    "internships": (Internship, DEAL),
    "applications": (Application, DEAL),
}


@dataclass
class TypeScope:
    """The records one user may list of one CRM type."""

    mode: str
    ids: list[int] = field(default_factory=list)
    # The portal did not respond, so "none" is used until the next try.
    failed: bool = False


def user_scope(portal: Portal, user_id: int, auth_id: str) -> dict[int, TypeScope]:
    """Return the user's scope per CRM type, from the cache or asked of the portal."""
    key = f"{CACHE_PREFIX}{portal.id}:{user_id}"
    cached = access_cache().get(key)
    if cached is not None:
        return {int(type_id): TypeScope(**value) for type_id, value in cached.items()}

    scope = {
        type_id: type_scope(portal, auth_id, type_id)
        for type_id in (DEAL, CONTACT, COMPANY)
    }
    # A failed check is retried after a minute, not after the whole session.
    seconds = SESSION_MAX_AGE
    if any(value.failed for value in scope.values()):
        seconds = CACHE_SECONDS
    access_cache().set(key, {str(k): asdict(v) for k, v in scope.items()}, seconds)
    log.info(
        "portal %s: list scope of user %s: %s",
        portal.id,
        user_id,
        {type_id: value.mode for type_id, value in scope.items()},
    )
    return scope


def type_scope(portal: Portal, auth_id: str, type_id: int) -> TypeScope:
    """Ask the portal, as the user and as the app, what the user lists of a type."""
    try:
        first = list_ids(portal, auth_id, type_id, 0)
        if first is None or not first[1]:
            return TypeScope("none")
        ids, user_total = first
        if user_total >= portal_total(portal, type_id):
            return TypeScope("all")
        if user_total > ID_LIMIT:
            return TypeScope("own")
        return TypeScope("ids", all_ids(portal, auth_id, type_id, ids, user_total))
    except (AccessCheckFailed, BitrixError) as error:
        log.warning(
            "portal %s: list scope of CRM type %s unavailable: %s",
            portal.id,
            type_id,
            error,
        )
        return TypeScope("none", failed=True)


def list_ids(
    portal: Portal, auth_id: str, type_id: int, start: int
) -> tuple[list[int], int] | None:
    """Return one page of ids the user may read and the user's total."""
    params = {
        "entityTypeId": type_id,
        "select": ["id"],
        "order": {"id": "ASC"},
        "start": start,
    }
    body = user_call(portal, "crm.item.list", auth_id, params)
    if body is None:
        return None
    items = (body.get("result") or {}).get("items") or []
    return [int(item["id"]) for item in items], int(body.get("total") or 0)


def all_ids(
    portal: Portal, auth_id: str, type_id: int, first: list[int], total: int
) -> list[int]:
    ids = list(first)
    for start in range(PAGE_SIZE, min(total, ID_LIMIT), PAGE_SIZE):
        page = list_ids(portal, auth_id, type_id, start)
        if page is None:
            break
        ids.extend(page[0])
    return ids


def portal_total(portal: Portal, type_id: int) -> int:
    """Return how many records of the type the app's own token lists."""
    params: dict[str, Any] = {"entityTypeId": type_id, "select": ["id"], "start": 0}
    response = client_for(portal).call("crm.item.list", params)
    return int(response.total or 0)


def visible_condition(
    section: str, scope: dict[int, TypeScope], portal_id: int, user_id: int
) -> ColumnElement[bool] | None:
    """Return the SQL condition that keeps a list to the user's scope; None = all."""
    model, type_id = SECTION_TYPES[section]
    entry = scope.get(type_id, TypeScope("none"))
    if entry.mode == "all":
        return None
    if entry.mode == "ids" and entry.ids:
        # Local primary keys, not `bitrix_id IN (...)`: with newest-first paging
        # PostgreSQL walks the primary key and, given CRM ids, may read every
        # row of the portal before it finds a page of old records.
        local_ids = select(model.id).where(
            model.portal_id == portal_id, model.bitrix_id.in_(entry.ids)
        )
        return model.id.in_(list(db.session.execute(local_ids).scalars()))
    if entry.mode == "own" and model is Application:
        return Application.assigned_user_id == user_id
    return false()
