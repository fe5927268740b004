"""app.info, user.*, event.* and placement.* methods."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..events import OfflineRow
from ..filters import PAGE_SIZE, parse_start, split_key
from ..state import Placement
from ..wire import PORTAL_TZ, RestError, as_list, iso
from .registry import Call, ListResult, method

APP_ONLY_PLACEMENTS = {"LEFT_MENU", "REST_APP_URI", "PAGE_BACKGROUND_WORKER"}


@method("app.info")
def app_info(call: Call) -> dict[str, Any]:
    """Return the portal's app.info fields merged with the OAuth server's fields.

    NOTE: a real portal and the OAuth server are different hosts. Here both share one
    REST base, so the result contains the portal keys (upper case) and the OAuth
    server keys (lower case) side by side.
    """
    call.require_app_context()
    state = call.state
    entry = state.tokens.access.get(call.caller.token or "")
    expires = datetime.fromtimestamp(entry.expires_at, PORTAL_TZ) if entry else None
    return {
        "ID": str(state.app.app_id),
        "CODE": state.config["CLIENT_ID"],
        "VERSION": state.app.version,
        "STATUS": state.config["APP_STATUS"],
        "INSTALLED": state.app.installed,
        "PAYMENT_EXPIRED": "N",
        "DAYS": None,
        "LANGUAGE_ID": "ru",
        "LICENSE": state.config["LICENSE"],
        "LICENSE_TYPE": state.config["PLAN"],
        "LICENSE_FAMILY": "project",
        "client_id": state.config["CLIENT_ID"],
        "scope": state.config["SCOPES"],
        "expires": iso(expires),
        "user_id": call.caller.user_id,
        "install": {
            "installed": state.app.installed,
            "version": state.app.version,
            "status": state.config["APP_STATUS"],
            "scope": state.config["SCOPES"],
            "domain": state.domain,
            "uri": state.base_url,
            "client_endpoint": state.client_endpoint,
            "member_id": state.member_id,
            "member_type": "PORTAL",
        },
    }


@method("user.current")
def user_current(call: Call) -> dict[str, Any]:
    """Return the calling user."""
    user = call.state.user(call.caller.user_id)
    if user is None:
        raise RestError("authorization_error", "Unable to authorize user", 401)
    return user


@method("user.get")
def user_get(call: Call) -> ListResult:
    """Return users matching `FILTER` (plain equality), 50 per page."""
    flt = call.dict_param("filter") or {
        key.upper(): value
        for key, value in call.params.items()
        if key.upper() in {"ID", "ACTIVE", "EMAIL", "NAME", "LAST_NAME"}
    }
    rows = []
    for user in call.state.users:
        if all(_user_matches(user, key, value) for key, value in flt.items()):
            rows.append(user)
    start = max(parse_start(call.get("start")), 0)
    page = rows[start : start + PAGE_SIZE]
    following = start + PAGE_SIZE if start + PAGE_SIZE < len(rows) else None
    return ListResult(page, len(rows), following)


def _user_matches(user: dict[str, Any], key: str, value: Any) -> bool:
    _, name = split_key(key)
    actual = user.get(name.upper())
    if isinstance(actual, bool):
        return actual == (str(value).upper() in {"Y", "TRUE", "1"})
    return str(actual) == str(value)


@method("event.bind")
def event_bind(call: Call) -> bool:
    """Register an online or offline event handler."""
    call.require_app_context()
    event = str(call.get("event") or "")
    offline = str(call.get("event_type") or "online").lower() == "offline"
    handler = str(call.get("handler") or "")
    if not event:
        raise RestError(
            "ERROR_REQUIRED_PARAMETERS_MISSING", "Required parameter 'event' is missing"
        )
    if not offline and not handler:
        raise RestError(
            "ERROR_REQUIRED_PARAMETERS_MISSING",
            "Required parameter 'handler' is missing",
        )
    auth_type = int(float(call.get("auth_type") or 0))
    call.state.events.bind(
        event, handler, auth_type, offline, str(call.get("auth_connector") or "")
    )
    return True


@method("event.unbind")
def event_unbind(call: Call) -> dict[str, int]:
    """Remove handlers; returns `{"count": N}`."""
    call.require_app_context()
    offline = str(call.get("event_type") or "online").lower() == "offline"
    raw_auth = call.get("auth_type")
    auth_type = None if raw_auth is None else int(float(raw_auth or 0))
    count = call.state.events.unbind(
        str(call.get("event") or ""), str(call.get("handler") or ""), auth_type, offline
    )
    return {"count": count}


@method("event.get")
def event_get(call: Call) -> list[dict[str, Any]]:
    """List the app's handlers (no binding ids, as documented)."""
    call.require_app_context()
    return [
        {
            "event": item.event,
            "handler": item.handler,
            "auth_type": str(item.auth_type),
            "offline": 1 if item.offline else 0,
        }
        for item in call.state.events.bindings
    ]


def _offline_row(row: OfflineRow, with_state: bool = False) -> dict[str, Any]:
    data = {
        "ID": str(row.row_id),
        "TIMESTAMP_X": row.timestamp,
        "EVENT_NAME": row.event,
        "EVENT_DATA": row.data,
        "EVENT_ADDITIONAL": {"user_id": str(row.user_id)} if row.user_id else [],
        "MESSAGE_ID": row.message_id,
    }
    if with_state:
        data["PROCESS_ID"] = row.process_id or ""
        data["ERROR"] = "1" if row.error else "0"
    return data


@method("event.offline.get")
def event_offline_get(call: Call) -> dict[str, Any]:
    """Read offline events; `clear=1` (default) deletes them, `clear=0` reserves."""
    call.require_app_context()
    clear = str(call.get("clear", "1")) not in {"0", "N", "false"}
    limit = int(float(call.get("limit") or PAGE_SIZE))
    error = str(call.get("error", "0")) in {"1", "Y", "true"}
    process_id, rows = call.state.events.take_offline(
        limit,
        clear,
        call.get("process_id"),
        error,
        str(call.get("auth_connector") or ""),
    )
    return {"process_id": process_id, "events": [_offline_row(row) for row in rows]}


@method("event.offline.clear")
def event_offline_clear(call: Call) -> bool:
    """Delete a process's reserved rows: all, or the listed ids or message ids."""
    call.require_app_context()
    process_id = call.get("process_id")
    if not process_id:
        raise RestError("ERROR_REQUIRED_PARAMETERS_MISSING", "process_id is required")
    ids = {str(value) for value in as_list(call.get("id"))}
    messages = {str(value) for value in as_list(call.get("message_id"))}
    events = call.state.events

    def chosen(row: OfflineRow) -> bool:
        if row.process_id != process_id:
            return False
        if ids or messages:
            return str(row.row_id) in ids or row.message_id in messages
        return True

    events.offline = [row for row in events.offline if not chosen(row)]
    return True


@method("event.offline.error")
def event_offline_error(call: Call) -> bool:
    """Mark reserved rows as failed and release them from the process."""
    call.require_app_context()
    process_id = call.get("process_id")
    messages = {str(value) for value in as_list(call.get("message_id"))}
    for row in call.state.events.offline:
        if row.process_id == process_id and (
            not messages or row.message_id in messages
        ):
            row.error = True
            row.process_id = None
    return True


@method("event.offline.list")
def event_offline_list(call: Call) -> ListResult:
    """List queued offline rows with PROCESS_ID and ERROR, 50 per page."""
    call.require_app_context()
    rows = [_offline_row(row, with_state=True) for row in call.state.events.offline]
    start = max(parse_start(call.get("start")), 0)
    following = start + PAGE_SIZE if start + PAGE_SIZE < len(rows) else None
    return ListResult(rows[start : start + PAGE_SIZE], len(rows), following)


def _check_placement(code: str, handler: str) -> None:
    """Raise the documented placement.bind argument errors, which use HTTP 200."""
    if not code:
        raise RestError(
            "ERROR_ARGUMENT",
            "Argument 'PLACEMENT' is null or empty",
            200,
            {"argument": "PLACEMENT"},
        )
    if not handler:
        raise RestError(
            "ERROR_ARGUMENT",
            "Argument 'HANDLER' is null or empty",
            200,
            {"argument": "HANDLER"},
        )
    known = code.startswith("CRM_") or code in APP_ONLY_PLACEMENTS
    if code == "DEFAULT" or not known:
        raise RestError("ERROR_PLACEMENT_NOT_FOUND", "Placement not found", 200)
    if not handler.startswith(("http://", "https://")):
        raise RestError("ERROR_WRONG_HANDLER_URL", "Wrong handler URL", 200)


@method("placement.bind")
def placement_bind(call: Call) -> bool:
    """Register a widget handler for a placement code."""
    call.require_app_context()
    code = str(call.get("placement") or "").upper()
    handler = str(call.get("handler") or "")
    _check_placement(code, handler)

    app = call.state.app
    for item in app.placements:
        if item.placement == code and item.handler == handler:
            raise RestError(
                "ERROR_CORE", "Unable to set placement handler: Handler already binded"
            )

    app.placements.append(
        Placement(
            placement=code,
            handler=handler,
            title=str(call.get("title") or ""),
            description=str(call.get("description") or ""),
            group_name=str(call.get("group_name") or ""),
            options=call.get("options") or {},
            lang_all=call.get("lang_all") or {},
            user_id=int(float(call.get("user_id") or 0)),
        )
    )
    return True


@method("placement.unbind")
def placement_unbind(call: Call) -> dict[str, int]:
    """Remove a placement's handlers (all of them when HANDLER is empty)."""
    call.require_app_context()
    code = str(call.get("placement") or "").upper()
    handler = str(call.get("handler") or "")
    app = call.state.app
    keep = [
        item
        for item in app.placements
        if not (item.placement == code and (not handler or item.handler == handler))
    ]
    count = len(app.placements) - len(keep)
    app.placements = keep
    return {"count": count}


@method("placement.get")
def placement_get(call: Call) -> list[dict[str, Any]]:
    """List the app's widget registrations."""
    call.require_app_context()
    return [
        {
            "placement": item.placement,
            "userId": str(item.user_id),
            "handler": item.handler,
            "options": item.options,
            "title": item.title,
            "description": item.description,
            "groupName": item.group_name,
            "langAll": item.lang_all,
        }
        for item in call.state.app.placements
    ]


@method("placement.list")
def placement_list(call: Call) -> list[str]:
    """List placement codes available to the app."""
    call.require_app_context()
    return [
        "CRM_DEAL_DETAIL_TAB",
        "CRM_CONTACT_DETAIL_TAB",
        "CRM_COMPANY_DETAIL_TAB",
        "CRM_DEAL_LIST_MENU",
        "CRM_CONTACT_LIST_MENU",
        "CRM_COMPANY_LIST_MENU",
        "CRM_DEAL_DETAIL_TOOLBAR",
        "CRM_DEAL_LIST_TOOLBAR",
        "LEFT_MENU",
        "REST_APP_URI",
        "PAGE_BACKGROUND_WORKER",
    ]
