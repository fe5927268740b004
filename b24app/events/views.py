"""The event handler URL: verify a delivery, store it, answer 200 at once.

No REST call happens here for CRM events: the row is committed to the inbox and
a job does the work. Lifecycle events change the portal row directly; only an
install or an update with a new application token asks the OAuth server first.
"""

import logging

from flask import Blueprint, current_app, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import RequestEntityTooLarge

from b24app.events.inbox import enqueue_inbox, store_event
from b24app.events.intake import (
    EventDelivery,
    RejectedEvent,
    decode_body,
    read_delivery,
)
from b24app.extensions import db
from b24app.logs import portal_id_var
from b24app.portals import lifecycle
from b24app.portals.install import install_from_event, verify_installer
from b24app.portals.manifest import current_manifest, load_manifest
from b24app.portals.verify import InstallRejected
from b24app.tenancy.crypto import secret_matches
from b24app.tenancy.models import Portal, PortalState

log = logging.getLogger(__name__)
security_log = logging.getLogger("b24app.security")

bp = Blueprint("events", __name__)

FORM_TYPE = "application/x-www-form-urlencoded"


@bp.record
def add_routes(state: BlueprintSetupState) -> None:
    manifest = load_manifest(state.app.config.get("B24_MANIFEST_PATH"))
    state.add_url_rule(
        manifest.handlers["events"], "receive", receive, methods=["POST"]
    )

    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        # Bitrix24 posts events server to server; they carry no CSRF token.
        csrf.exempt(receive)


def receive() -> tuple[dict, int]:
    """Accept one event delivery from Bitrix24."""
    portal: Portal | None = None
    try:
        delivery = read_delivery(decode_body(read_body()))
        if delivery.event == "ONAPPINSTALL":
            return accept_install(delivery)

        portal = find_portal(delivery.member_id)
        portal_id_var.set(portal.id)
        if delivery.event == "ONAPPUPDATE":
            return accept_update(portal, delivery)
        check_token(portal, delivery)
        return accept(portal, delivery)
    except RejectedEvent as error:
        security_log.warning(
            "event rejected: portal=%s reason=%s",
            portal.id if portal is not None else "-",
            error.reason,
        )
        db.session.rollback()
        return {"error": error.reason}, error.status


def read_body() -> bytes:
    """Return the raw body, rejecting bodies over EVENT_MAX_BODY_BYTES with 413.

    A chunked body has no Content-Length, so at most one byte past the limit
    is read: getting that byte proves the body too large, where a plain read
    would stop at the limit and return a cut body.
    """
    if request.mimetype != FORM_TYPE:
        raise RejectedEvent("unsupported_content_type", 415)

    limit = int(current_app.config["EVENT_MAX_BODY_BYTES"])
    if request.content_length is not None and request.content_length > limit:
        raise RejectedEvent("body_too_large", 413)
    request.max_content_length = limit + 1
    try:
        body = read_at_most(limit + 1)
    except RequestEntityTooLarge:
        raise RejectedEvent("body_too_large", 413) from None
    if len(body) > limit:
        raise RejectedEvent("body_too_large", 413)
    return body


def read_at_most(size: int) -> bytes:
    """Read up to `size` bytes of the request body, across short reads."""
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = request.stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def find_portal(member_id: str) -> Portal:
    portal = db.session.execute(
        db.select(Portal).where(Portal.member_id == member_id)
    ).scalar_one_or_none()
    if portal is None:
        raise RejectedEvent("unknown_portal", 403)
    return portal


def check_token(portal: Portal, delivery: EventDelivery) -> None:
    if not secret_matches(delivery.application_token, portal.application_token_digest):
        raise RejectedEvent("application_token_mismatch", 403)
    if portal.state == PortalState.UNINSTALLED:
        raise RejectedEvent("portal_uninstalled", 403)


def accept(portal: Portal, delivery: EventDelivery) -> tuple[dict, int]:
    if delivery.event == "ONAPPUNINSTALL":
        clean = str(delivery.data.get("CLEAN", "0")) == "1"
        lifecycle.uninstall(portal, clean)
        return {"status": "uninstalled"}, 200

    if delivery.event not in current_manifest().events:
        log.info(
            "portal %s: event %s is not handled; ignored", portal.id, delivery.event
        )
        return {"status": "ignored"}, 200

    row = store_event(portal, delivery)
    if row is None:
        return {"status": "duplicate"}, 200
    enqueue_inbox(portal.id, [row.id])
    return {"status": "accepted"}, 200


def accept_install(delivery: EventDelivery) -> tuple[dict, int]:
    """ONAPPINSTALL at the event URL: confirmed by the OAuth server, then stored."""
    try:
        portal = install_from_event(delivery.payload)
    except InstallRejected as error:
        raise RejectedEvent(f"install_{error.reason}", 403) from None

    portal_id_var.set(portal.id)
    lifecycle.queue_setup(portal)
    return {"status": "installed"}, 200


def accept_update(portal: Portal, delivery: EventDelivery) -> tuple[dict, int]:
    """ONAPPUPDATE: the stored token matches, or an admin's confirmed token came.

    The update may re-issue the application token, so a mismatch alone does not
    reject it: the access token in the event must then pass app.info for the
    same portal and belong to an administrator. Tokens in the event are stored
    only after that check, because any portal user sees the application token
    in the frame POST and could send a matching update.
    """
    if portal.state == PortalState.UNINSTALLED:
        raise RejectedEvent("portal_uninstalled", 403)
    token_matches = secret_matches(
        delivery.application_token, portal.application_token_digest
    )
    access_token = delivery.payload["auth"].get("access_token") or ""
    if not access_token and not token_matches:
        raise RejectedEvent("application_token_mismatch", 403)

    verified = None
    if access_token:
        try:
            verified = verify_installer(
                access_token, portal.server_endpoint, portal.member_id
            )
        except InstallRejected as error:
            if not token_matches:
                raise RejectedEvent(f"update_{error.reason}", 403) from None
            security_log.warning(
                "portal %s: update token not confirmed (%s); tokens not stored",
                portal.id,
                error.reason,
            )

    lifecycle.apply_update(portal, delivery.payload, verified)
    return {"status": "updated"}, 200
