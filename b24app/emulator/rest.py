"""The portal's REST endpoint: `/rest/<method>` and `/rest/<user>/<secret>/<method>`."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response, current_app, redirect, request

from .dispatch import authenticate, run_method
from .state import PortalState
from .wire import RestError, error_response, parse_php_pairs, php_json_response

logger = logging.getLogger(__name__)
bp = Blueprint("rest", __name__)

_HTML_ERROR = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def portal_state() -> PortalState:
    """Return the PortalState of the current app."""
    return current_app.extensions["b24emulator"]


def request_params() -> dict[str, Any]:
    """Merge query, form and JSON body parameters; top-level names are lower-cased."""
    pairs = list(request.args.items(multi=True))
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        if body is None and request.data:
            raise RestError("INVALID_REQUEST", "Invalid JSON body", 400)
    else:
        pairs += list(request.form.items(multi=True))
        body = None
    params = parse_php_pairs(pairs)
    if isinstance(body, dict):
        params.update(body)
    return {str(key).lower(): value for key, value in params.items()}


def _split_path(path: str) -> tuple[str, tuple[str, str] | None]:
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0].isdigit():
        return parts[2], (parts[0], parts[1])
    return parts[-1] if len(parts) == 1 else "", None


def _strip_suffix(name: str) -> str:
    for suffix in (".json", ".xml"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _apply_faults(state: PortalState, method: str) -> Response | None:
    for fault in state.faults.take(method):
        if fault.kind in {"latency", "hang"}:
            time.sleep(fault.seconds)
        elif fault.kind == "error":
            reason = _REASONS.get(fault.status, "Error")
            html = _HTML_ERROR.format(status=fault.status, reason=reason)
            return Response(html, status=fault.status, mimetype="text/html")
    return None


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


@bp.route("/rest/<path:path>", methods=["GET", "POST"])
def call(path: str) -> Response:
    """Serve one REST call through redirects, faults, limits, auth and the handler."""
    started = time.time()
    state = portal_state()
    if request.host in state.old_domains:
        location = f"{state.scheme}://{state.domain}{request.full_path.rstrip('?')}"
        return redirect(location, code=302)

    name, webhook = _split_path(path)
    name = _strip_suffix(name)
    faulted = _apply_faults(state, name)
    if faulted is not None:
        return faulted

    with state.lock:
        allowed = state.bucket is None or state.bucket.try_acquire()
    if not allowed:
        return error_response(
            RestError("QUERY_LIMIT_EXCEEDED", "Too many requests", 503)
        )

    try:
        params = request_params()
        token = (
            params.pop("auth", None)
            or params.pop("access_token", None)
            or _bearer_token()
        )
        caller = authenticate(state, str(token) if token else None, webhook)
        envelope = run_method(state, caller, name, params, started)
    except RestError as exc:
        level = logging.INFO if exc.status in {401, 429, 503} else logging.DEBUG
        logger.log(level, "REST %s failed: %s (HTTP %s)", name, exc.error, exc.status)
        return error_response(exc)
    return php_json_response(envelope)
