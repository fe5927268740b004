"""Installing the app in a portal: verify, store, bind, run install steps.

Both install routes end here: the install page POST of an app with a UI, and the
ONAPPINSTALL callback that Bitrix24 sends server to server. Neither trusts the
portal address in the request: `verify.verify_access_token` asks the OAuth
server, and only its answer is stored. Both also require that a portal
administrator holds the token (`user.admin`), because every user of the portal
has a valid token of the app.
"""

import datetime as dt
import logging
import re
from collections.abc import Mapping
from typing import Any

from flask import current_app

from b24app.bitrix import BitrixError, HostNotAllowed, TokenPair
from b24app.extensions import db
from b24app.portals.bindings import bind_manifest
from b24app.portals.manifest import current_manifest
from b24app.portals.pairs import pair_to_store
from b24app.portals.steps import InstallStepError, run_install_steps
from b24app.portals.verify import (
    InstallRejected,
    VerifiedPortal,
    confirm_admin,
    default_server_endpoint,
    same_host,
    verify_access_token,
)
from b24app.tenancy.clients import client_for
from b24app.tenancy.crypto import digest_secret, secret_matches
from b24app.tenancy.models import Portal, PortalState, utcnow
from b24app.tenancy.store import token_cipher, write_tokens

log = logging.getLogger(__name__)
security_log = logging.getLogger("b24app.security")

DEFAULT_TOKEN_LIFETIME = 3600
# Bitrix24 access tokens live an hour; a day is far above any genuine lifetime.
MAX_TOKEN_LIFETIME = 86400
SECONDS = re.compile(r"[0-9]{1,6}")
# Bitrix24 interface languages are two-letter codes (ru, en, de, ua, ...).
LANGUAGE = re.compile(r"[A-Za-z]{2}")


def install_from_frame(query: Mapping[str, str], form: Mapping[str, str]) -> Portal:
    """Run the install page POST: verify, store, bind, run steps.

    Raises InstallRejected with the reason to show the admin.
    """
    reject_nul(query, form)
    access_token = form.get("AUTH_ID", "")
    refresh_token = form.get("REFRESH_ID", "")
    member_id = form.get("member_id", "")
    if not access_token or not refresh_token or not member_id:
        raise InstallRejected("missing_fields", "AUTH_ID, REFRESH_ID or member_id")

    server_endpoint = form.get("SERVER_ENDPOINT") or default_server_endpoint()
    verified = verify_installer(access_token, server_endpoint, member_id)
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
    if not all(isinstance(value, str) for value in auth.values()):
        raise InstallRejected("invalid_fields", "auth values must be strings")
    reject_nul(auth)
    access_token = auth.get("access_token") or ""
    refresh_token = auth.get("refresh_token") or ""
    member_id = auth.get("member_id") or ""
    if not access_token or not refresh_token or not member_id:
        raise InstallRejected("missing_fields", "auth tokens or member_id")

    server_endpoint = auth.get("server_endpoint") or default_server_endpoint()
    verified = verify_installer(access_token, server_endpoint, member_id)
    if not same_host(auth.get("domain") or "", verified.domain):
        raise InstallRejected("domain_mismatch", "auth[domain] differs from app.info")

    data = payload.get("data") if isinstance(payload.get("data"), Mapping) else {}
    language = data.get("LANGUAGE_ID")
    pair = TokenPair(access_token, refresh_token, expiry(auth.get("expires_in")))
    return save_installation(
        verified,
        pair,
        application_token=auth.get("application_token") or "",
        lang=language if isinstance(language, str) else "",
    )


def verify_installer(
    access_token: str, server_endpoint: str, member_id: str
) -> VerifiedPortal:
    """Confirm the token with app.info, its scopes, and that an admin holds it."""
    verified = verify_access_token(access_token, server_endpoint, member_id)
    check_scopes(verified)
    confirm_admin(access_token, verified)
    return verified


def reject_nul(*fields: Mapping[str, Any]) -> None:
    """Raise InstallRejected("invalid_fields") for a value that contains U+0000.

    PostgreSQL cannot store U+0000 in text, and no genuine install field has it.
    """
    for mapping in fields:
        for name, value in mapping.items():
            if isinstance(value, str) and "\x00" in value:
                raise InstallRejected("invalid_fields", f"{str(name)[:40]!r}")


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
) -> Portal:
    """Create or update the portal row keyed by the verified member_id; commit.

    The caller has confirmed that a portal administrator sent the request.
    """
    portal = db.session.execute(
        db.select(Portal).where(Portal.member_id == verified.member_id)
    ).scalar_one_or_none()
    new_pair = pair_to_store(portal, pair, verified)
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
    if LANGUAGE.fullmatch(lang):
        portal.lang = lang.lower()
    if new_pair is not None:
        write_tokens(portal, new_pair, token_cipher())

    if portal.state == PortalState.UNINSTALLED:
        # The old installation's application token died with it.
        portal.application_token_digest = None
        portal.installed_at = None
    store_application_token(portal, application_token)
    portal.state = PortalState.ACTIVE
    portal.state_reason = ""
    portal.uninstalled_at = None
    db.session.commit()
    return portal


def store_application_token(
    portal: Portal, token: str, replace_active: bool = False
) -> None:
    """Keep the digest of the installation's application_token.

    Any user of the portal sees the application token in the frame POST, so a
    token replaces the stored one of an active portal only with
    `replace_active`: after ONAPPUPDATE whose access token app.info confirmed
    and whose user is an admin. Otherwise it is stored only while the portal
    has none or is not active.
    """
    if not token or secret_matches(token, portal.application_token_digest):
        return
    replaceable = (
        replace_active
        or portal.application_token_digest is None
        or portal.state != PortalState.ACTIVE
    )
    if not replaceable:
        # NOTE: an app reinstalled without an ONAPPUNINSTALL reaching us keeps
        # its old digest here; the operator must then uninstall and reinstall.
        security_log.warning(
            "portal %s: install sent a different application token for an active "
            "portal; kept the stored one",
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
    """Return the access token's expiry from a lifetime in seconds.

    A lifetime that is not 1 to MAX_TOKEN_LIFETIME ASCII digits falls back to
    the documented one hour; the client refreshes on `expired_token` anyway.
    """
    text = lifetime if isinstance(lifetime, str) else ""
    seconds = DEFAULT_TOKEN_LIFETIME
    if SECONDS.fullmatch(text) and int(text) <= MAX_TOKEN_LIFETIME:
        seconds = int(text)
    return utcnow() + dt.timedelta(seconds=seconds)
