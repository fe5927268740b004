"""Browser pages of the emulated portal: CRM cards, the app page, the install page.

Each page embeds the app the way Bitrix24 does: an iframe named
`DOMAIN|PROTOCOL|APP_SID` and a hidden form that POSTs the documented frame
fields into it. A small stand-in for BX24.js, served at `/api/v1/` like the real
library, talks to the page through `postMessage`. The page records
installFinish, resize, reloadData and openPath calls in `FrameCallLog` so tests
can assert them, and it issues a fresh token on `refreshAuth`.

Query parameters: `?user=<id>` picks the portal user (user 1 is the
administrator, the others are not) and `?lang=ru|en` the interface language.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
)

from .methods.registry import METHODS, Call, method
from .state import PortalState
from .users import ADMIN_USER_IDS

bp = Blueprint(
    "ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/ui-static",
)

UI_KEY = "b24emulator.ui"
LANGUAGES = ("ru", "en")
CARD_ENTITIES = ("deal", "contact", "company")
# Fields shown on the card's main tab, in this order, when the record has them.
CARD_FIELDS = {
    "deal": (
        "ID",
        "TITLE",
        "STAGE_ID",
        "CATEGORY_ID",
        "OPPORTUNITY",
        "CURRENCY_ID",
        "CONTACT_ID",
        "COMPANY_ID",
        "ASSIGNED_BY_ID",
        "COMMENTS",
    ),
    "contact": (
        "ID",
        "NAME",
        "LAST_NAME",
        "EMAIL",
        "PHONE",
        "COMPANY_ID",
        "ASSIGNED_BY_ID",
        "COMMENTS",
    ),
    "company": (
        "ID",
        "TITLE",
        "COMPANY_TYPE",
        "INDUSTRY",
        "EMAIL",
        "PHONE",
        "ASSIGNED_BY_ID",
        "COMMENTS",
    ),
}


@dataclass
class FrameCall:
    """One BX24 call an app frame made to the page."""

    command: str
    placement: str
    user_id: int
    params: dict[str, Any]
    at: float


@dataclass
class FrameCallLog:
    """BX24 calls recorded by the pages, plus where the app's pages live."""

    app_page_url: str | None = None
    install_url: str | None = None
    calls: list[FrameCall] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, call: FrameCall) -> None:
        """Append a call."""
        with self.lock:
            self.calls.append(call)

    def commands(self, command: str | None = None) -> list[FrameCall]:
        """Return recorded calls, all or only those of `command`."""
        with self.lock:
            return [c for c in self.calls if command is None or c.command == command]

    def clear(self) -> None:
        """Forget recorded calls."""
        with self.lock:
            self.calls.clear()


def is_admin(user_id: int) -> bool:
    """Return whether the emulated user administers the portal."""
    return user_id in ADMIN_USER_IDS


# NOTE: `user.admin` is a documented REST method (scope basic, returns a
# boolean). It is registered here because the app's frame check needs it, and it
# belongs with the emulator's other user methods.
if "user.admin" not in METHODS:

    @method("user.admin")
    def user_admin(call: Call) -> bool:
        """Return whether the calling user is a portal administrator."""
        return is_admin(call.caller.user_id)


def _state() -> PortalState:
    return current_app.extensions["b24emulator"]


@bp.record_once
def _create_call_log(setup: Any) -> None:
    setup.app.extensions.setdefault(UI_KEY, FrameCallLog())


def call_log() -> FrameCallLog:
    """Return the log of BX24 calls made by the frames of this emulator."""
    return current_app.extensions[UI_KEY]


def viewer() -> tuple[int, str]:
    """Return the user id and language chosen by `?user=` and `?lang=`."""
    raw_user = request.args.get("user", "1")
    user_id = int(raw_user) if raw_user.isdigit() else 1
    if _state().user(user_id) is None:
        abort(404, description=f"no portal user {user_id}")
    lang = request.args.get("lang", "ru")
    return user_id, lang if lang in LANGUAGES else "ru"


def frame_spec(
    handler: str,
    placement: str,
    options: dict[str, Any],
    title: str,
    user_id: int,
    lang: str,
) -> dict[str, Any]:
    """Build what a page needs to post one frame: URL, window name, fields."""
    state = _state()
    query, body = state.frame_fields(placement, options, user_id, lang)
    separator = "&" if "?" in handler else "?"
    return {
        "title": title,
        "placement": placement,
        "action": f"{handler}{separator}{urlencode(query)}",
        "name": f"{query['DOMAIN']}|{query['PROTOCOL']}|{query['APP_SID']}",
        "app_sid": query["APP_SID"],
        "fields": body,
        "init": init_data(query, body, user_id),
    }


def init_data(query: dict[str, str], body: dict[str, str], user_id: int) -> dict:
    """Return the reply the page sends to the frame's `getInitData`."""
    return {
        "LANG": query["LANG"],
        "DOMAIN": query["DOMAIN"],
        "PROTOCOL": query["PROTOCOL"],
        "AUTH_ID": body["AUTH_ID"],
        "AUTH_EXPIRES": body["AUTH_EXPIRES"],
        "REFRESH_ID": body["REFRESH_ID"],
        "MEMBER_ID": body["member_id"],
        "IS_ADMIN": is_admin(user_id),
        "PLACEMENT": body["PLACEMENT"],
        "PLACEMENT_OPTIONS": body["PLACEMENT_OPTIONS"],
        "USER_ID": user_id,
    }


def placement_title(item: Any, lang: str) -> str:
    """Return a bound placement's tab title in `lang`, as LANG_ALL gives it."""
    lang_all = item.lang_all or {}
    localized = lang_all.get(lang) if isinstance(lang_all, dict) else None
    if isinstance(localized, dict) and localized.get("TITLE"):
        return str(localized["TITLE"])
    return item.title or "App"


@bp.get("/crm/<entity>/details/<int:record_id>/")
def card(entity: str, record_id: int) -> str:
    """Show a CRM card: its fields and one tab per bound detail-tab placement."""
    if entity not in CARD_ENTITIES:
        abort(404)
    user_id, lang = viewer()
    state = _state()
    code = f"CRM_{entity.upper()}_DETAIL_TAB"
    with state.lock:
        row = state.crm.tables[entity].rows.get(record_id)
        record = dict(row) if row is not None else None
        bound = [item for item in state.app.placements if item.placement == code]
    if record is None:
        abort(404, description=f"{entity} {record_id} not found")

    options = {"ID": str(record_id), "URI": f"/crm/{entity}/details/{record_id}/"}
    frames = [
        frame_spec(
            item.handler, code, options, placement_title(item, lang), user_id, lang
        )
        for item in bound
    ]
    fields = [
        (name, record.get(name)) for name in CARD_FIELDS[entity] if name in record
    ]
    return render_template(
        "emulator/card.html",
        entity=entity,
        record=record,
        fields=fields,
        frames=frames,
        active=request.args.get("tab", ""),
        **page_context(user_id, lang),
    )


@bp.get("/marketplace/app/<int:app_id>/")
def app_page(app_id: int) -> str:
    """Open the app's main page (placement DEFAULT) full size."""
    handler = call_log().app_page_url or _state().config["APP_URL"]
    return _single_frame_page(app_id, handler, "app")


@bp.get("/marketplace/app/<int:app_id>/install/")
def install_page(app_id: int) -> str:
    """Open the app's install page (placement DEFAULT) as the install wizard does."""
    config = _state().config
    handler = call_log().install_url or config["INSTALL_URL"] or config["APP_URL"]
    return _single_frame_page(app_id, handler, "install")


def _single_frame_page(app_id: int, handler: str | None, mode: str) -> str:
    if app_id != _state().app.app_id:
        abort(404, description=f"no app {app_id} on this portal")
    if not handler:
        abort(409, description="the app's handler URL is not configured")
    user_id, lang = viewer()
    spec = frame_spec(handler, "DEFAULT", {}, "App", user_id, lang)
    return render_template(
        "emulator/app.html", frame=spec, mode=mode, **page_context(user_id, lang)
    )


def page_context(user_id: int, lang: str) -> dict[str, Any]:
    """Return the user switcher and language data every page shows."""
    state = _state()
    return {
        "users": state.users,
        "user_id": user_id,
        "lang": lang,
        "languages": LANGUAGES,
        "is_admin": is_admin(user_id),
    }


@bp.post("/ui/calls")
def record_call() -> Response:
    """Record a BX24 call that a frame made; installFinish also completes install."""
    body = request.get_json(silent=True) or {}
    command = str(body.get("command", ""))
    if not command:
        abort(400, description="command is required")
    call = FrameCall(
        command=command,
        placement=str(body.get("placement", "")),
        user_id=int(body.get("user_id") or 0),
        params=body.get("params") if isinstance(body.get("params"), dict) else {},
        at=time.time(),
    )
    call_log().record(call)
    if command == "installFinish":
        state = _state()
        with state.lock:
            state.app.installed = True
    return jsonify(ok=True)


@bp.get("/ui/calls")
def list_calls() -> Response:
    """Return the recorded BX24 calls, oldest first."""
    return jsonify([vars(call) for call in call_log().commands()])


@bp.post("/ui/refresh-auth")
def refresh_auth() -> Response:
    """Issue a fresh token pair for a user, as the portal does on refreshAuth."""
    body = request.get_json(silent=True) or {}
    user_id = int(body.get("user_id") or 0)
    state = _state()
    if state.user(user_id) is None:
        abort(400, description="user_id must name a portal user")
    fields = state.token_fields(user_id)
    return jsonify(
        AUTH_ID=fields["access_token"],
        REFRESH_ID=fields["refresh_token"],
        AUTH_EXPIRES=str(fields["expires_in"]),
        MEMBER_ID=state.member_id,
        DOMAIN=state.domain,
    )


@bp.get("/api/v1/")
def bx24_js() -> Response:
    """Serve the BX24.js stand-in at the path of the real library."""
    response = bp.send_static_file("emulator/bx24.js")
    response.headers["Content-Type"] = "application/javascript; charset=utf-8"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
