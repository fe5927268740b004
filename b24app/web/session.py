"""Frame sessions: a short-lived signed token instead of a cookie.

The app runs in a cross-site iframe, where Safari and Chromium with third-party
cookies blocked drop cookies. After a frame POST is verified the page receives a
token signed with the app's secret (portal id, user id, admin flag, language,
and the user's Bitrix24 token encrypted with `B24_TOKEN_KEY` so CRM permission
checks can ask the portal as that user; 15 minutes) and sends it back on every
HTMX request in the `X-B24App-Session` header, set once through `hx-headers` on
`<body>`. Forms posted without JavaScript carry it in the hidden `_session`
field. A forged page cannot read the token, so it is the CSRF defence too.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask_babel import force_locale, get_locale, refresh
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from b24app.extensions import db
from b24app.tenancy.crypto import TokenKeyError
from b24app.tenancy.models import Portal
from b24app.tenancy.store import token_cipher
from b24app.web.frame import (
    DEFAULT_LANGUAGE,
    FrameError,
    VerifiedFrame,
    normalize_language,
    parse_frame_request,
    verify_frame,
)
from b24app.web.htmx import HTMX_SCRIPT, hx_trigger
from b24app.web.messages import render_message

log = logging.getLogger(__name__)

SESSION_HEADER = "X-B24App-Session"
SESSION_FIELD = "_session"
SESSION_SALT = "b24app.frame-session"
SESSION_MAX_AGE = 15 * 60
# The event app.js listens for: renew the token through BX24.refreshAuth, retry.
REAUTH_EVENT = "b24app:reauth"

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class FrameSession:
    """The claims of a verified session token: portal, user, admin flag, language."""

    portal_id: int
    user_id: int
    is_admin: bool
    lang: str
    # The user's Bitrix24 access token, Fernet-encrypted; empty in old tokens.
    user_token_encrypted: str = field(default="", repr=False)


def _serializer(app: Flask | None = None) -> URLSafeTimedSerializer:
    app = app or current_app
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SESSION_SALT)


def issue_session_token(session: FrameSession) -> str:
    """Sign `session` into a token that `load_session_token` accepts for 15 min."""
    claims = {
        "p": session.portal_id,
        "u": session.user_id,
        "a": session.is_admin,
        "l": session.lang,
        "t": session.user_token_encrypted,
    }
    return _serializer().dumps(claims)


def load_session_token(token: str | None) -> FrameSession | None:
    """Return the session in `token`, or None if it is missing, expired or forged."""
    if not token:
        return None
    try:
        claims = _serializer().loads(token, max_age=SESSION_MAX_AGE)
    except SignatureExpired:
        log.info("frame session token expired")
        return None
    except BadSignature:
        log.warning("frame session token has a bad signature")
        return None

    try:
        return FrameSession(
            portal_id=int(claims["p"]),
            user_id=int(claims["u"]),
            is_admin=bool(claims["a"]),
            lang=str(claims["l"]),
            user_token_encrypted=str(claims.get("t") or ""),
        )
    except (KeyError, TypeError, ValueError):
        log.warning("frame session token has malformed claims")
        return None


def start_frame_session(frame: VerifiedFrame) -> FrameSession:
    """Make a verified frame the current session of this request."""
    session = FrameSession(
        portal_id=frame.portal.id,
        user_id=frame.user_id,
        is_admin=frame.is_admin,
        lang=frame.lang,
        user_token_encrypted=token_cipher().encrypt(frame.auth_id),
    )
    g.frame_session = session
    g.portal = frame.portal
    g.session_token = issue_session_token(session)
    # Flask-Babel caches the locale per request; it must follow the new session.
    refresh()
    return session


def clear_frame_session() -> None:
    """Forget any session on `g`, so a rejected request never reuses one."""
    for name in ("frame_session", "portal", "session_token"):
        g.pop(name, None)


def current_session() -> FrameSession:
    """Return this request's frame session; only inside a protected view."""
    return g.frame_session


def session_auth_id() -> str | None:
    """Return the user's Bitrix24 token of this request's session, or None."""
    encrypted = g.frame_session.user_token_encrypted
    if not encrypted:
        return None
    try:
        return token_cipher().decrypt(encrypted)
    except TokenKeyError:
        log.warning("frame session user token cannot be decrypted")
        return None


def current_portal() -> Portal:
    """Return the portal of this request's frame session."""
    return g.portal


def frame_request_required(view: View) -> View:
    """Verify the Bitrix24 frame POST, start a session, then call `view(frame)`.

    A malformed or forged request gets a short message page, never the view.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        clear_frame_session()
        try:
            frame = verify_frame(parse_frame_request(request))
        except FrameError as error:
            return rejected_frame(error)

        start_frame_session(frame)
        return view(frame, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def frame_session_required(admin: bool = False) -> Callable[[View], View]:
    """Require a valid session token; with `admin=True` also a portal admin.

    A missing, expired or forged token gets 401 with an `HX-Trigger` that makes
    the page renew it quietly. A non-admin on an admin view gets 403.
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            clear_frame_session()
            token = request.headers.get(SESSION_HEADER) or request.form.get(
                SESSION_FIELD
            )
            session = load_session_token(token)
            portal = db.session.get(Portal, session.portal_id) if session else None
            if session is None or portal is None or not portal.is_active:
                return session_rejected(token)

            g.frame_session = session
            g.portal = portal
            g.session_token = token
            refresh()
            if admin and not session.is_admin:
                log.info(
                    "admin view %s rejected for non-admin user %s, portal %s",
                    request.endpoint,
                    session.user_id,
                    portal.id,
                )
                return render_message(403, "forbidden")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def rejected_frame(error: FrameError) -> Response:
    """Render the message page for a frame request that failed its checks."""
    kind = "bad_request" if error.status == 400 else "frame_rejected"
    return render_message(error.status, kind)


def session_rejected(token: str | None = None) -> Response:
    """Return 401 with the event that makes the page renew its session token.

    The page is in the language of an expired but genuine `token`, because the
    user who reads it opened the app in that language.
    """
    lang = expired_token_language(token) or str(get_locale() or DEFAULT_LANGUAGE)
    with force_locale(lang):
        response = render_message(401, "session_expired")
    hx_trigger(response, REAUTH_EVENT, {"status": 401})
    return response


def expired_token_language(token: str | None) -> str | None:
    """Return the language claim of a token whose only fault is its age."""
    if not token:
        return None
    try:
        _serializer().loads(token, max_age=SESSION_MAX_AGE)
        return None
    except SignatureExpired:
        claims = _serializer().loads(token)
    except BadSignature:
        return None

    if not isinstance(claims, dict):
        return None
    return normalize_language(str(claims.get("l") or ""))


def template_context() -> dict[str, Any]:
    """Give templates the session token and where to send it."""
    return {
        "lang": str(get_locale() or "ru"),
        "htmx_script": HTMX_SCRIPT,
        "session_token": g.get("session_token", ""),
        "session_header": SESSION_HEADER,
        "session_field": SESSION_FIELD,
        "frame_session": g.get("frame_session"),
    }
