"""The install handler: the install page POST and the ONAPPINSTALL callback."""

import logging
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, render_template, request
from flask.blueprints import BlueprintSetupState

from b24app.bitrix import parse_php_form
from b24app.portals.install import finish_setup, install_from_event, install_from_frame
from b24app.portals.manifest import load_manifest
from b24app.portals.messages import message, pick_language
from b24app.portals.verify import InstallRejected
from b24app.tenancy.models import Portal

log = logging.getLogger(__name__)
security_log = logging.getLogger("b24app.security")

bp = Blueprint("portals", __name__)

# Reasons that mean the request itself is not trusted (as opposed to a failure
# while setting up a verified portal).
UNTRUSTED_REASONS = frozenset(
    {
        "missing_fields",
        "oauth_server_not_allowed",
        "token_rejected",
        "wrong_client",
        "member_mismatch",
        "domain_mismatch",
        "portal_not_allowed",
        "not_admin",
        "invalid_fields",
    }
)


@bp.record
def add_routes(state: BlueprintSetupState) -> None:
    # The install path comes from the manifest, which the app config may point to.
    manifest = load_manifest(state.app.config.get("B24_MANIFEST_PATH"))
    path = manifest.handlers["install"]
    state.add_url_rule(path, "install", install, methods=["GET", "POST"])

    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        # Bitrix24 posts here from its own page, so no CSRF token can exist.
        csrf.exempt(install)


def install() -> Response | tuple[Response | str, int]:
    """Install the app in the portal that posted here, then call installFinish."""
    if request.form.get("event", "").upper() == "ONAPPINSTALL":
        return install_callback()

    lang = pick_language(request.args.get("LANG"))
    if request.method != "POST":
        return install_page(lang, "missing_fields", status=400)

    try:
        portal = install_from_frame(request.args, request.form)
    except InstallRejected as error:
        report_rejection(error, request.form.get("member_id", ""))
        return install_page(lang, error.reason, error.detail, status=status_of(error))

    response = install_page(lang, "installed", finished=True)
    response.headers["Content-Security-Policy"] = frame_ancestors(portal)
    return response


def install_callback() -> tuple[dict, int]:
    """Handle ONAPPINSTALL sent server to server to the install URL."""
    try:
        payload = parse_php_form(request.form.items(multi=True))
        portal = install_from_event(payload)
        finish_setup(portal)
    except ValueError:
        security_log.warning("install callback rejected: reason=malformed_body")
        return {"error": "malformed body"}, 400
    except InstallRejected as error:
        report_rejection(error, request.form.get("auth[member_id]", ""))
        return {"error": error.reason}, status_of(error)

    return {"status": "installed", "portal": portal.id}, 200


def install_page(
    lang: str,
    reason: str,
    detail: str = "",
    status: int = 200,
    finished: bool = False,
) -> Response:
    """Render the install page: installFinish on success, the reason otherwise."""
    manifest = load_manifest(current_app.config.get("B24_MANIFEST_PATH"))
    html = render_template(
        "portals/install.html",
        lang=lang,
        title=manifest.title.get(lang, manifest.title["en"]),
        text=message(reason, lang, detail),
        finished=finished,
        bx24_js_url=current_app.config["B24_BX24_JS_URL"],
    )
    return Response(html, status=status, mimetype="text/html")


def status_of(error: InstallRejected) -> int:
    """Return 400 for a malformed request, 403 for an untrusted one, else 502."""
    if error.reason == "invalid_fields":
        return 400
    return 403 if error.reason in UNTRUSTED_REASONS else 502


def report_rejection(error: InstallRejected, member_id: str) -> None:
    level = logging.WARNING if error.reason in UNTRUSTED_REASONS else logging.ERROR
    security_log.log(
        level,
        "install rejected: member=%s reason=%s detail=%s",
        member_id[:64] or "-",
        error.reason,
        error.detail,
    )


def frame_ancestors(portal: Portal) -> str:
    """Allow only the verified portal origin to frame the page."""
    parts = urlsplit(portal.client_endpoint)
    return f"frame-ancestors {parts.scheme}://{parts.netloc}"
