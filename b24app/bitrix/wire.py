"""Pure helpers for one REST exchange: body encoding, response parsing, redirect
targets and the mapping of transport failures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from .errors import (
    InvalidResponseError,
    PortalMovedError,
    ServerError,
    TransportError,
    WriteTimeoutError,
    error_from_body,
    redact_url,
)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Last segments of method names that change data. `write=` overrides the guess.
WRITE_SUFFIXES = frozenset(
    {
        "add",
        "update",
        "delete",
        "set",
        "bind",
        "unbind",
        "clear",
        "remove",
        "move",
        "send",
        "import",
        "attach",
        "detach",
        "upload",
        "register",
        "unregister",
        "start",
        "complete",
        "approve",
        "copy",
        "merge",
        "modify",
        "execute",
        "pin",
        "unpin",
    }
)


def is_write_method(method: str) -> bool:
    """Guess from the name whether `method` changes data (`crm.deal.add`: yes)."""
    return method.rsplit(".", 1)[-1].lower() in WRITE_SUFFIXES


@dataclasses.dataclass(frozen=True)
class Response:
    """A successful REST response: `result`, list `total`/`next`, and `time`."""

    result: Any
    total: int | None = None
    next: int | None = None
    time: Mapping[str, Any] | None = None


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Serialise a request body as UTF-8 JSON; dates as ISO 8601, decimals as text."""
    return json.dumps(body, default=_json_default, ensure_ascii=False).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"cannot send a {type(value).__name__} to Bitrix24")


def parse_response(response: requests.Response, method: str) -> dict[str, Any]:
    """Return the JSON envelope of a successful call or raise its typed error.

    A body that is not a JSON object (an HTML error page, say) raises ServerError
    for 5xx statuses and InvalidResponseError otherwise.
    """
    status = response.status_code
    try:
        payload = response.json()
    except ValueError:
        payload = None

    if not isinstance(payload, dict):
        content_type = response.headers.get("Content-Type", "no content type")
        error_class = ServerError if status >= 500 else InvalidResponseError
        raise error_class(
            f"{method}: HTTP {status} returned a non-JSON body "
            f"({content_type}, {len(response.content)} bytes)",
            status=status,
            method=method,
        )

    if "error" in payload:
        raise error_from_body(payload, status=status, method=method)
    if status >= 400 or "result" not in payload:
        raise InvalidResponseError(
            f"{method}: HTTP {status} without a result or an error",
            status=status,
            method=method,
        )
    return payload


def renamed_endpoint(new_url: str, old_url: str, endpoint: str, method: str) -> str:
    """Return the REST base URL that a redirect of `old_url` to `new_url` implies.

    The new URL must end with the same path after `/rest/` as the old one (for
    a webhook that includes `USER_ID/SECRET/`), optionally with `.json`.
    Anything else, such as a licence page, raises PortalMovedError.
    """
    old_root = _rest_root(old_url)
    relative = old_url[len(old_root) :]
    target = new_url.split("?", 1)[0].split("#", 1)[0]
    if urlsplit(target).path.lower().endswith(".json"):
        target = target[: -len(".json")]

    if not target.lower().endswith("/rest/" + relative.lower()):
        raise PortalMovedError(
            f"{method}: redirected to a non-REST page {redact_url(target)!r}",
            method=method,
        )
    new_root = target[: len(target) - len(relative)]
    return new_root + endpoint[len(old_root) :]


def _rest_root(url: str) -> str:
    return url.split("/rest/", 1)[0] + "/rest/"


def transport_outcome(exc: requests.RequestException) -> str:
    """Return the metrics outcome label of a failed exchange."""
    return "timeout" if isinstance(exc, requests.Timeout) else "connection_error"


def response_outcome(response: requests.Response) -> str:
    """Return the metrics outcome label of a response: ok, redirect or its error."""
    if response.status_code in REDIRECT_STATUSES:
        return "redirect"
    if response.status_code < 400:
        return "ok"
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        code = None
    return str(code) if code else f"http_{response.status_code}"


def transport_error(
    exc: requests.RequestException, method: str, is_write: bool
) -> TransportError:
    """Map a requests exception to TransportError.

    A write that may have reached the server becomes WriteTimeoutError, because
    its outcome is unknown. A connect timeout or a refused connection means the
    request never left, so it stays a plain TransportError.
    """
    is_timeout = isinstance(exc, requests.Timeout)
    never_sent = isinstance(exc, requests.ConnectTimeout) or _connection_refused(exc)

    if is_write and not never_sent:
        return WriteTimeoutError(
            f"{method}: {'timed out' if is_timeout else 'connection lost'}, "
            "so the write may or may not have happened: read the entity back",
            method=method,
            is_timeout=is_timeout,
        )
    kind = "timed out" if is_timeout else f"failed ({type(exc).__name__})"
    message = f"{method}: request {kind}"
    return TransportError(message, method=method, is_timeout=is_timeout)


def _connection_refused(exc: requests.RequestException) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)
