"""The OAuth server: `/oauth/token/` and the portal's `/oauth/authorize/` redirect."""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, request

from .state import PortalState
from .wire import RestError, error_response, php_json_response

logger = logging.getLogger(__name__)
bp = Blueprint("oauth", __name__)


def _state() -> PortalState:
    return current_app.extensions["b24emulator"]


def _param(name: str) -> str:
    return str(request.values.get(name) or "")


def _check_client(state: PortalState) -> None:
    """Reject unknown apps: `wrong_client` comes with HTTP 200, a bad secret with 400.

    The HTTP 200 for `wrong_client` follows the official Python SDK (b24pysdk 1.3.2,
    `errors/oauth.py`); the docs list only the error names.
    """
    client_id, secret = _param("client_id"), _param("client_secret")
    if not client_id:
        raise RestError("invalid_request", "client_id is missing", 400)
    if client_id != state.config["CLIENT_ID"]:
        raise RestError("wrong_client", "Wrong client", 200)
    if not hmac.compare_digest(secret, state.config["CLIENT_SECRET"]):
        raise RestError("invalid_client", "Invalid client credentials", 400)


@bp.route("/oauth/token/", methods=["GET", "POST"])
def token() -> Response:
    """Exchange an authorization code or a single-use refresh token for a new pair."""
    state = _state()
    try:
        _check_client(state)
        grant = _param("grant_type")
        with state.lock:
            if not state.app.present:
                raise RestError("invalid_client", "Application not installed", 400)
            if grant == "authorization_code":
                user_id = state.tokens.take_code(_param("code"))
            elif grant == "refresh_token":
                user_id = state.tokens.take_refresh(_param("refresh_token"))
            else:
                raise RestError(
                    "invalid_request", f"Unsupported grant_type {grant!r}", 400
                )
            if user_id is None:
                raise RestError("invalid_grant", "Invalid authorization tokens", 400)
            fields = state.token_fields(user_id)
    except RestError as exc:
        logger.info("OAuth token request rejected: %s", exc.error)
        return error_response(exc)
    return php_json_response(fields)


@bp.route("/oauth/authorize/", methods=["GET"])
def authorize() -> Response:
    """Play an administrator approving the app: redirect with a 30-second code."""
    state = _state()
    if _param("client_id") != state.config["CLIENT_ID"]:
        return Response("Application not found", status=404, mimetype="text/plain")
    target = state.config["REDIRECT_URI"] or state.config["APP_URL"]
    if not target:
        return Response(
            "The app has no redirect URI", status=400, mimetype="text/plain"
        )
    with state.lock:
        code = state.tokens.issue_code(int(request.args.get("user_id", 1)))
    query = {
        "code": code,
        "state": _param("state"),
        "domain": state.domain,
        "member_id": state.member_id,
        "scope": state.config["SCOPES"],
        "server_domain": state.oauth_domain,
    }
    return redirect(f"{target}?{urlencode(query)}", code=302)
