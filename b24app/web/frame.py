"""The frame request: the form Bitrix24 posts into the app's iframe, and its checks.

Bitrix24 opens the app page, the install page and every widget by submitting a
hidden form into the iframe: `DOMAIN`, `PROTOCOL`, `LANG` and `APP_SID` in the
query string, the rest (`AUTH_ID`, `member_id`, `APPLICATION_TOKEN`,
`PLACEMENT`, `PLACEMENT_OPTIONS`, ...) in the form body. Anyone can post such a
form, so nothing in it is trusted until `verify_frame` has matched the portal by
`member_id`, compared the application token and confirmed `AUTH_ID` with the
portal itself.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from flask import Request
from sqlalchemy import select

from b24app.extensions import db
from b24app.tenancy.crypto import secret_matches
from b24app.tenancy.models import Portal
from b24app.web.params import find_control_character, json_depth_exceeds
from b24app.web.user_check import UserCheckFailed, confirm_user

log = logging.getLogger(__name__)

SUPPORTED_LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
MAX_OPTIONS_LENGTH = 8 * 1024
# Bitrix24 sends flat options such as {"ID": "1001"}; the limit only has to stop
# nesting deep enough to exhaust the recursive JSON parser.
MAX_OPTIONS_DEPTH = 16
# The length of the `portal.member_id` column.
MAX_MEMBER_ID_LENGTH = 64


class FrameError(Exception):
    """A frame request that must not be shown: malformed, forged or unverifiable.

    `reason` is a short code for logs and tests; the page shows a generic text.
    """

    def __init__(self, reason: str, status: int = 403) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class FrameRequest:
    """The fields of one frame POST, parsed but not yet verified."""

    member_id: str
    auth_id: str = field(repr=False)
    application_token: str = field(repr=False)
    domain: str
    lang: str
    app_sid: str
    placement: str
    options: dict[str, Any]


@dataclass(frozen=True)
class VerifiedFrame:
    """A frame request whose portal and user are confirmed."""

    portal: Portal
    user_id: int
    is_admin: bool
    lang: str
    placement: str
    options: dict[str, Any]
    auth_id: str = field(default="", repr=False)


def normalize_language(value: str | None) -> str:
    """Map a Bitrix24 `LANG` value to a language the app has messages for."""
    code = (value or "").strip().lower()[:2]
    if code in SUPPORTED_LANGUAGES:
        return code
    return "en" if code else DEFAULT_LANGUAGE


def parse_placement_options(raw: str | None) -> dict[str, Any]:
    """Decode `PLACEMENT_OPTIONS`, a JSON object sent as a string; empty means {}."""
    if raw is None or not raw.strip():
        return {}
    if len(raw) > MAX_OPTIONS_LENGTH:
        raise FrameError("placement_options_too_long", status=400)
    if json_depth_exceeds(raw, MAX_OPTIONS_DEPTH):
        raise FrameError("placement_options_too_deep", status=400)
    try:
        options = json.loads(raw)
    except ValueError:
        raise FrameError("placement_options_invalid_json", status=400) from None
    if not isinstance(options, dict):
        raise FrameError("placement_options_not_object", status=400)
    return options


def parse_frame_request(request: Request) -> FrameRequest:
    """Read the documented frame fields from the query string and the form body."""
    form = request.form
    member_id = form.get("member_id", "").strip()
    if not member_id:
        raise FrameError("member_id_missing", status=400)
    if len(member_id) > MAX_MEMBER_ID_LENGTH or find_control_character(member_id):
        raise FrameError("member_id_invalid", status=400)

    return FrameRequest(
        member_id=member_id,
        auth_id=form.get("AUTH_ID", "").strip(),
        application_token=form.get("APPLICATION_TOKEN", "").strip(),
        domain=request.args.get("DOMAIN", "").strip().lower(),
        lang=normalize_language(request.args.get("LANG")),
        app_sid=request.args.get("APP_SID", ""),
        placement=form.get("PLACEMENT", "DEFAULT").strip().upper() or "DEFAULT",
        options=parse_placement_options(form.get("PLACEMENT_OPTIONS")),
    )


def find_portal(member_id: str) -> Portal | None:
    """Return the active installation keyed by `member_id`, or None."""
    statement = select(Portal).where(Portal.member_id == member_id)
    portal = db.session.execute(statement).scalar_one_or_none()
    if portal is None or not portal.is_active:
        return None
    return portal


def verify_frame(frame: FrameRequest) -> VerifiedFrame:
    """Confirm the portal, the application token and the user; raise FrameError."""
    portal = find_portal(frame.member_id)
    if portal is None:
        log.warning(
            "frame rejected: no active portal for member_id %s", frame.member_id
        )
        raise FrameError("unknown_portal")

    # The token is optional in the frame (documented only since 2026) and the
    # install may not have stored one. When both are present they must match.
    stored_digest = portal.application_token_digest
    if (
        frame.application_token
        and stored_digest
        and not secret_matches(frame.application_token, stored_digest)
    ):
        log.warning("frame rejected: application token mismatch, portal %s", portal.id)
        raise FrameError("application_token_mismatch")

    if not frame.auth_id:
        raise FrameError("auth_id_missing")
    try:
        user = confirm_user(portal, frame.auth_id)
    except UserCheckFailed as error:
        log.warning("frame rejected: portal %s: %s", portal.id, error)
        raise FrameError("auth_id_rejected") from None

    return VerifiedFrame(
        portal=portal,
        user_id=user.user_id,
        is_admin=user.is_admin,
        lang=frame.lang,
        placement=frame.placement,
        options=frame.options,
        auth_id=frame.auth_id,
    )


def entity_id_option(options: dict[str, Any], key: str = "ID") -> int | None:
    """Return `options[key]` as a positive integer, or None if absent or invalid.

    Bitrix24 sends ids as strings (`{"ID": "1001"}`), and a number is accepted too.
    """
    value = options.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
        if 0 < number < 2**31:
            return number
    return None
