"""Installing the app in a portal: verify, store, bind, run install steps.

Both install routes end here: the install page POST of an app with a UI, and the
ONAPPINSTALL callback that Bitrix24 sends server to server. Neither trusts the
portal address in the request: `verify.verify_access_token` asks the OAuth
server, and only its answer is stored.
"""

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from flask import current_app

from b24app.bitrix import BitrixError, HostNotAllowed, TokenPair
from b24app.extensions import db
from b24app.portals.bindings import bind_manifest
from b24app.portals.manifest import current_manifest
from b24app.portals.steps import InstallStepError, run_install_steps
from b24app.portals.verify import (
    InstallRejected,
    VerifiedPortal,
    default_server_endpoint,
    same_host,
    verify_access_token,
)
from b24app.tenancy.clients import client_for
from b24app.tenancy.crypto import digest_secret, secret_matches
from b24app.tenancy.models import Portal, PortalState, utcnow
from b24app.tenancy.store import token_cipher, write_tokens

log = logging.getLogger(__name__)

DEFAULT_TOKEN_LIFETIME = 3600


def install_from_frame(query: Mapping[str, str], form: Mapping[str, str]) -> Portal:
    """Run the install page POST: verify, store, bind, run steps.

    Raises InstallRejected with the reason to show the admin.
    """
    access_token = form.get("AUTH_ID", "")
    refresh_token = form.get("REFRESH_ID", "")
    member_id = form.get("member_id", "")
    if not access_token or not refresh_token or not member_id:
        raise InstallRejected("missing_fields", "AUTH_ID, REFRESH_ID or member_id")

    server_endpoint = form.get("SERVER_ENDPOINT") or default_server_endpoint()
    verified = verify_access_token(access_token, server_endpoint, member_id)
    check_scopes(verified)
    if not same_host(query.get("DOMAIN", ""), verified.domain):
        raise InstallRejected(
            "domain_mismatch",
            f"request names {query.get('DOMAIN')!r}, portal is {verified.domain}",
        )

    pair = TokenPair(access_token, refresh_token, expiry(form.get("AUTH_EXPIRES")))
    portal = save_installation(
        verified,
        pair,
        application_token=form.get("APPLICATION_TOKEN", ""),
        lang=query.get("LANG", ""),
    )
    finish_setup(portal)
    return portal


def install_from_event(payload: Mapping[str, Any]) -> Portal:
    """Store an ONAPPINSTALL callback after the OAuth server confirmed its token.

    The caller decides whether to run `finish_setup` now or in a job.
    """
    auth = payload.get("auth")
    if not isinstance(auth, Mapping):
        raise InstallRejected("missing_fields", "auth")
    access_token = str(auth.get("access_token") or "")
    refresh_token = str(auth.get("refresh_token") or "")
    member_id = str(auth.get("member_id") or "")
    if not access_token or not refresh_token or not member_id:
        raise InstallRejected("missing_fields", "auth tokens or member_id")

    server_endpoint = (
        str(auth.get("server_endpoint") or "") or default_server_endpoint()
    )
    verified = verify_access_token(access_token, server_endpoint, member_id)
    check_scopes(verified)
    if not same_host(str(auth.get("domain") or ""), verified.domain):
        raise InstallRejected("domain_mismatch", "auth[domain] differs from app.info")

    data = payload.get("data") if isinstance(payload.get("data"), Mapping) else {}
    pair = TokenPair(access_token, refresh_token, expiry(auth.get("expires_in")))
    return save_installation(
        verified,
        pair,
        application_token=str(auth.get("application_token") or ""),
        lang=str(data.get("LANGUAGE_ID") or ""),
        trust_new_application_token=True,
    )


def check_scopes(verified: VerifiedPortal) -> None:
    """Raise InstallRejected when the token lacks a scope the manifest needs."""
    missing = current_manifest().required_scopes - set(verified.scopes)
    if missing:
        raise InstallRejected("missing_scopes", ", ".join(sorted(missing)))


def save_installation(
    verified: VerifiedPortal,
    pair: TokenPair,
    application_token: str,
    lang: str,
    trust_new_application_token: bool = False,
) -> Portal:
    """Create or update the portal row keyed by the verified member_id; commit."""
    portal = db.session.execute(
        db.select(Portal).where(Portal.member_id == verified.member_id)
    ).scalar_one_or_none()
    if portal is None:
        portal = Portal(member_id=verified.member_id, token_version=0)
        db.session.add(portal)
    elif portal.domain and portal.domain != verified.domain:
        log.info(
            "portal %s moved from %s to %s (confirmed by app.info)",
            portal.id,
            portal.domain,
            verified.domain,
        )

    portal.domain = verified.domain
    portal.client_endpoint = verified.client_endpoint
    portal.server_endpoint = verified.server_endpoint
    portal.scopes = ",".join(verified.scopes)
    portal.plan_status = verified.status[:8]
    if lang:
        portal.lang = lang[:8]
    write_tokens(portal, pair, token_cipher())
    store_application_token(portal, application_token, trust_new_application_token)

    if portal.state == PortalState.UNINSTALLED:
        portal.installed_at = None
    portal.state = PortalState.ACTIVE
    portal.state_reason = ""
    portal.uninstalled_at = None
    db.session.commit()
    return portal


def store_application_token(portal: Portal, token: str, trust_new: bool) -> None:
    """Keep the digest of the installation's application_token.

    A browser POST can be forged by any user of the portal, so from the install
    page a token replaces a stored one only while the portal has none or was
    uninstalled. ONAPPINSTALL and ONAPPUPDATE (`trust_new`) always replace it.
    """
    if not token or secret_matches(token, portal.application_token_digest):
        return
    replaceable = (
        trust_new
        or portal.application_token_digest is None
        or portal.state == PortalState.UNINSTALLED
    )
    if not replaceable:
        log.warning(
            "portal %s: install page sent a different application token; kept the "
            "stored one",
            portal.id,
        )
        return
    portal.application_token_digest = digest_secret(token)


def finish_setup(portal: Portal) -> None:
    """Bind the manifest and run every install step; mark the portal installed.

    Raises InstallRejected("binding_failed" or "step_failed") when a call fails.
    """
    manifest = current_manifest()
    app_url = current_app.config["B24_APP_URL"]
    try:
        client = client_for(portal)
        report = bind_manifest(client, manifest, app_url)
        run_install_steps(portal, client)
    except (BitrixError, HostNotAllowed) as error:
        log.error("portal %s: binding failed: %s", portal.id, error)
        raise InstallRejected("binding_failed", str(error)) from None
    except InstallStepError as error:
        raise InstallRejected("step_failed", error.step) from None

    log.info(
        "portal %s installed: %d events and %d widgets bound, %d stale removed",
        portal.id,
        len(report.bound_events),
        len(report.bound_placements),
        len(report.unbound_events) + len(report.unbound_placements),
    )
    portal.installed_at = portal.installed_at or utcnow()
    portal.app_version = str(manifest.version)
    db.session.commit()


def setup_portal(portal_id: int) -> None:
    """Job: re-bind the manifest and re-run install steps (after ONAPPUPDATE)."""
    portal = db.session.get(Portal, portal_id)
    if portal is None or not portal.is_active:
        log.info("portal %s is not active; setup skipped", portal_id)
        return
    finish_setup(portal)


def expiry(lifetime: Any) -> dt.datetime:
    """Return the access token's expiry from a lifetime in seconds."""
    text = str(lifetime or "")
    seconds = int(text) if text.isdigit() else DEFAULT_TOKEN_LIFETIME
    return utcnow() + dt.timedelta(seconds=seconds)
