"""Settings of the app page (admins only): CRM mapping, sync, API keys, public form."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, render_template, request, url_for
from redis.exceptions import RedisError

from b24app.jobs import enqueue
from b24app.placements.blueprint import bp
from b24app.placements.queries import named_choices
from b24app.program import api_keys
from b24app.program.crm_setup import run_crm_setup
from b24app.program.models import CrmMapping, University
from b24app.public.pages import ensure_public_page
from b24app.sync.fullsync import start_full_sync
from b24app.sync.models import RunStatus
from b24app.sync.status import sync_status
from b24app.tenancy.scoping import get_scoped
from b24app.web.htmx import stop_polling
from b24app.web.params import InvalidParameter, optional_positive_int
from b24app.web.session import current_portal, current_session, frame_session_required

log = logging.getLogger(__name__)

# The polling interval of the sync progress fragment while a run is going.
SYNC_POLL = "every 2s"


def settings_context(portal_id: int) -> dict[str, Any]:
    page = ensure_public_page(portal_id)
    return {
        "mapping": get_scoped(CrmMapping, portal_id),
        "public_url": url_for("public.index", slug=page.slug, _external=True),
        "sync": sync_context(portal_id),
        "keys": api_keys.list_api_keys(portal_id),
        "key_universities": named_choices(University, portal_id),
        "created_key": None,
        "notice": None,
    }


def sync_context(portal_id: int) -> dict[str, Any]:
    """Return the sync status with `running` set while a full sync is unfinished."""
    status = sync_status(portal_id)
    run = status.get("last_run")
    running = bool(run and run["status"] == RunStatus.RUNNING)
    return {"status": status, "run": run, "running": running, "poll": SYNC_POLL}


@bp.get("/b24/app/settings/sync")
@frame_session_required(admin=True)
def sync_progress() -> Response:
    """Return the sync progress; status 286 stops the polling once no run is going."""
    context = sync_context(current_portal().id)
    response = Response(render_template("placements/_sync.html", sync=context))
    if not context["running"]:
        stop_polling(response)
    return response


@bp.post("/b24/app/settings/sync/full")
@frame_session_required(admin=True)
def start_sync() -> Response:
    """Start (or resume) a full sync of the portal's CRM into the mirror."""
    portal_id = current_portal().id
    notice = None
    try:
        run = start_full_sync(portal_id)
        log.info(
            "portal %s: full sync run %s started by user %s",
            portal_id,
            run.id,
            current_session().user_id,
        )
    except RedisError as error:
        log.warning("portal %s: full sync not queued: %s", portal_id, error)
        notice = "queue_unavailable"
    context = sync_context(portal_id)
    return Response(
        render_template("placements/_sync.html", sync=context, notice=notice)
    )


@bp.post("/b24/app/settings/crm-setup")
@frame_session_required(admin=True)
def rerun_crm_setup() -> Response:
    """Queue the CRM setup step again: it creates only what is missing."""
    portal_id = current_portal().id
    notice = "crm_setup_queued"
    try:
        enqueue(run_crm_setup, portal_id, queue="crm", timeout=300, portal_id=portal_id)
        log.info(
            "portal %s: CRM setup queued by user %s",
            portal_id,
            current_session().user_id,
        )
    except RedisError as error:
        log.warning("portal %s: CRM setup not queued: %s", portal_id, error)
        notice = "queue_unavailable"
    return Response(render_template("placements/_notice.html", notice=notice))


@bp.post("/b24/app/settings/keys")
@frame_session_required(admin=True)
def create_key() -> Response:
    """Create a university API key, or a portal admin token without a university."""
    portal_id = current_portal().id
    try:
        university_id = optional_positive_int(
            request.form.get("university_id"), field="university_id"
        )
    except InvalidParameter:
        return keys_response(portal_id, status=422, notice="university_not_found")
    try:
        created = api_keys.create_api_key(
            portal_id, request.form.get("label", ""), university_id
        )
    except LookupError:
        return keys_response(portal_id, status=422, notice="university_not_found")
    return keys_response(portal_id, created_key=created)


@bp.post("/b24/app/settings/keys/<int:key_id>/revoke")
@frame_session_required(admin=True)
def revoke_key(key_id: int) -> Response:
    """Revoke an API key or admin token of this portal."""
    portal_id = current_portal().id
    try:
        api_keys.revoke_api_key(portal_id, key_id)
    except LookupError:
        return keys_response(portal_id, status=404, notice="key_not_found")
    return keys_response(portal_id)


def keys_response(portal_id: int, status: int = 200, **extra: Any) -> Response:
    context = {
        "keys": api_keys.list_api_keys(portal_id),
        "key_universities": named_choices(University, portal_id),
        "created_key": None,
        "notice": None,
        **extra,
    }
    return Response(render_template("placements/_keys.html", **context), status)
