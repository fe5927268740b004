"""Confirm an access token with the OAuth server before trusting an install.

Install requests (the install page POST, ONAPPINSTALL, a changed application
token on ONAPPUPDATE) carry a portal address chosen by whoever sent them. The
only trusted source is the OAuth server's `app.info` for the token: it names the
app (`client_id`), the portal (`member_id`) and its current address. The OAuth
server must be on B24_OAUTH_SERVERS and the portal endpoint it names must pass
the portal host rules; the token goes nowhere else.
"""

import logging
import re
from dataclasses import dataclass
from typing import Any

import requests
from flask import current_app

from b24app.bitrix import HostNotAllowed
from b24app.bitrix.logfilter import install_credential_filter
from b24app.tenancy.clients import host_policy, split_setting, tls_verify
from b24app.web.user_check import UserCheckFailed, call_with_user_token

log = logging.getLogger(__name__)

VERIFY_TIMEOUT = (5.0, 15.0)
ASCII_ID = re.compile(r"[0-9]{1,18}")


class InstallRejected(Exception):
    """An install request failed a check; `reason` keys the admin message.

    `detail` is for the log and never contains a token.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class VerifiedPortal:
    """The facts the OAuth server confirmed about a token's portal and app."""

    member_id: str
    domain: str
    client_endpoint: str
    server_endpoint: str
    scopes: tuple[str, ...]
    status: str
    user_id: int | None
    installed: bool


def default_server_endpoint() -> str:
    """Return the REST URL of the first configured OAuth server."""
    servers = split_setting(current_app.config["B24_OAUTH_SERVERS"])
    if not servers:
        raise InstallRejected("oauth_server_not_allowed", "B24_OAUTH_SERVERS is empty")
    return servers[0].rstrip("/") + "/rest/"


def verify_access_token(
    access_token: str, server_endpoint: str, member_id: str
) -> VerifiedPortal:
    """Ask the OAuth server about `access_token`; raise InstallRejected on mismatch."""
    policy = host_policy()
    endpoint = (
        server_endpoint if server_endpoint.endswith("/") else server_endpoint + "/"
    )
    url = endpoint + "app.info"
    try:
        policy.check_oauth_server(url)
    except HostNotAllowed as error:
        raise InstallRejected("oauth_server_not_allowed", str(error)) from None

    result = fetch_app_info(url, access_token)
    verified = verified_portal(result, endpoint)
    if verified.member_id != member_id:
        raise InstallRejected(
            "member_mismatch",
            f"request names member {member_id}, token belongs to {verified.member_id}",
        )
    try:
        policy.check_portal_endpoint(verified.client_endpoint)
    except HostNotAllowed as error:
        raise InstallRejected("portal_not_allowed", str(error)) from None

    return verified


def confirm_admin(access_token: str, verified: VerifiedPortal) -> None:
    """Raise InstallRejected unless `access_token` belongs to a portal administrator.

    Any user of the portal has a valid token of the app (every frame carries
    one), and app.info accepts it. Only an administrator may install the app,
    so the install routes also ask the portal's `user.admin`, at the endpoint
    that app.info confirmed and the host rules allow.
    """
    try:
        is_admin = call_with_user_token(
            verified.client_endpoint, "user.admin", access_token
        )
    except UserCheckFailed as error:
        raise InstallRejected("verification_failed", str(error)) from None
    if is_admin is not True:
        raise InstallRejected("not_admin", f"user {verified.user_id} is not an admin")


def fetch_app_info(url: str, access_token: str) -> dict[str, Any]:
    """GET `<server_endpoint>app.info?auth=...`, the documented trusted check."""
    install_credential_filter()
    try:
        response = requests.get(
            url,
            params={"auth": access_token},
            timeout=VERIFY_TIMEOUT,
            verify=tls_verify(),
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise InstallRejected("verification_failed", type(error).__name__) from None

    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise InstallRejected(
            "verification_failed", f"app.info returned HTTP {response.status_code}"
        )
    if "error" in payload or not isinstance(payload.get("result"), dict):
        raise InstallRejected(
            "token_rejected",
            f"app.info answered HTTP {response.status_code} {payload.get('error')!r}",
        )
    return payload["result"]


def verified_portal(result: dict[str, Any], server_endpoint: str) -> VerifiedPortal:
    """Check that the app.info result names our app and read the portal from it."""
    client_id = str(result.get("client_id") or "")
    if client_id != current_app.config["B24_CLIENT_ID"]:
        raise InstallRejected("wrong_client", f"token belongs to app {client_id!r}")

    install = result.get("install")
    if not isinstance(install, dict):
        raise InstallRejected("verification_failed", "app.info has no install block")
    member_id = str(install.get("member_id") or "")
    domain = str(install.get("domain") or "").lower()
    client_endpoint = str(install.get("client_endpoint") or "")
    if not member_id or not domain or not client_endpoint:
        raise InstallRejected("verification_failed", "app.info lacks the portal")

    scope = str(result.get("scope") or install.get("scope") or "")
    user_id = result.get("user_id")
    return VerifiedPortal(
        member_id=member_id,
        domain=domain,
        client_endpoint=client_endpoint,
        server_endpoint=server_endpoint,
        scopes=tuple(split_setting(scope.replace(" ", ","))),
        status=str(install.get("status") or ""),
        user_id=int(user_id) if ASCII_ID.fullmatch(str(user_id or "")) else None,
        installed=bool(install.get("installed")),
    )


def same_host(claimed: str, verified: str) -> bool:
    """Compare a claimed portal host with the verified one, ignoring :80/:443."""

    def normalize(host: str) -> str:
        host = host.strip().lower()
        for port in (":80", ":443"):
            host = host.removesuffix(port)
        return host

    return bool(claimed) and normalize(claimed) == normalize(verified)
