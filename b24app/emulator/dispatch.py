"""Run one REST method for a caller: auth, operating-time limit, handler, envelope."""

from __future__ import annotations

import time
from typing import Any

from .auth import Caller
from .methods import METHODS, Call, ListResult
from .state import Actor, PortalState
from .wire import RestError, time_block


def authenticate(
    state: PortalState, token: str | None, webhook: tuple[str, str] | None
) -> Caller:
    """Return the caller of a request or raise the documented 401 error."""
    with state.lock:
        if webhook is not None:
            user_id, secret = webhook
            hook = state.tokens.webhooks.get(secret)
            if hook is None or str(hook.user_id) != user_id:
                raise RestError("NO_AUTH_FOUND", "Wrong authorization data", 401)
            return Caller(
                hook.user_id, "webhook", f"webhook:{hook.secret}", scope=hook.scope
            )
        if not token:
            raise RestError("NO_AUTH_FOUND", "Wrong authorization data", 401)
        entry = state.tokens.access.get(token)
        if entry is None:
            raise RestError("invalid_token", "Unable to get application by token", 401)
        if entry.expires_at < time.time():
            raise RestError(
                "expired_token", "The access token provided has expired.", 401
            )
        return Caller(entry.user_id, "app", "app", token, entry.scope)


def required_scope(name: str) -> set[str]:
    """Return the scopes that allow a method; empty means the implicit `basic`."""
    section = name.split(".", 1)[0]
    if section == "crm":
        return {"crm"}
    if section == "user" and name != "user.option":
        return {"user", "user_basic", "user_brief"}
    if section == "placement":
        return {"placement"}
    return set()


def check_scope(caller: Caller, granted: str, name: str) -> None:
    """Raise `insufficient_scope` (403) when the caller lacks the method's scope."""
    needed = required_scope(name)
    scopes = {
        item.strip() for item in granted.replace(" ", ",").split(",") if item.strip()
    }
    if needed and not needed & scopes:
        kind = "webhook" if caller.kind == "webhook" else "access"
        raise RestError(
            "insufficient_scope",
            f"The request requires higher privileges than provided by the {kind} token",
            403,
        )


def run_method(
    state: PortalState,
    caller: Caller,
    name: str,
    params: dict[str, Any],
    started: float,
) -> dict[str, Any]:
    """Execute a method; return its envelope (`result`, `total`, `next`, `time`)."""
    name = name.lower()
    handler = METHODS.get(name)
    if handler is None:
        raise RestError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)
    if state.config["PLAN"] == "free":
        raise RestError(
            "ACCESS_DENIED", "REST is available only on commercial plans.", 403
        )
    check_scope(caller, caller.scope, name)

    key = (caller.key, name)
    with state.lock:
        if state.operating.is_blocked(key):
            raise RestError(
                "OPERATION_TIME_LIMIT",
                "Method is blocked due to operation time limit.",
                429,
            )

    connector = str(params.get("auth_connector") or "")
    call = Call(state, caller, params, Actor(caller.user_id, False, connector))
    method_started = time.time()
    with state.lock:
        result = handler(call)
        # OPERATING_COST adds simulated seconds so tests can reach the limit quickly.
        cost = float(state.config["OPERATING_COST"].get(name, 0.0))
        operating, reset_at = state.operating.record(
            key, time.time() - method_started + cost
        )

    return _envelope(result, time_block(started, operating, reset_at))


def _envelope(result: Any, time_info: dict[str, Any]) -> dict[str, Any]:
    envelope: dict[str, Any] = {}
    if isinstance(result, ListResult):
        envelope["result"] = result.items
        if result.next is not None:
            envelope["next"] = result.next
        envelope["total"] = result.total
    else:
        envelope["result"] = result
    envelope["time"] = time_info
    return envelope
