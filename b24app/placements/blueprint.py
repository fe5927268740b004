"""The placements blueprint and the small request helpers its view modules share."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, g, render_template, request
from redis.exceptions import RedisError

from b24app.placements import labels
from b24app.placements.actions import rejection_reasons
from b24app.program.models import ApplicationStage
from b24app.sync.outbound import enqueue_outbox
from b24app.web.htmx import hx_trigger, page_layout
from b24app.web.security import protect_frame_blueprint
from b24app.web.session import SESSION_FIELD, current_session

log = logging.getLogger(__name__)

bp = Blueprint("placements", __name__)
protect_frame_blueprint(bp)
labels.register(bp)

# The event that makes app.js call BX24.placement.call('reloadData').
CRM_CHANGED_EVENT = "b24app:crm-changed"
MAX_PAGE = 10_000


def render_tab(template: str, **context) -> str:
    """Render a tab template as a full page or, for htmx, as a fragment."""
    return render_template(template, layout=page_layout(), **context)


def page_number() -> int:
    """Return the `page` request value as 1..MAX_PAGE; anything else is page 1."""
    raw = request.values.get("page", "1")
    if raw.isdigit() and 0 < int(raw) < MAX_PAGE:
        return int(raw)
    return 1


def optional_id(name: str) -> int | None:
    """Return request value `name` as a positive id, or None if absent or invalid."""
    raw = (request.values.get(name) or "").strip()
    if raw.isdigit() and 0 < int(raw) < 2**31:
        return int(raw)
    return None


def search_text(name: str = "q") -> str:
    """Return the search text of the request, trimmed to 100 characters."""
    return (request.values.get(name) or "").strip()[:100]


def send_to_crm(portal_id: int, response: Response, detail: dict) -> Response:
    """Queue delivery of the portal's CRM intents and ask the card to reload.

    A Redis outage only delays delivery: the periodic `deliver_all` job picks
    the intents up later, so the change is kept and the page shows it as pending.
    """
    try:
        enqueue_outbox(portal_id)
    except RedisError as error:
        log.warning("portal %s: outbox delivery not queued: %s", portal_id, error)
    return hx_trigger(response, CRM_CHANGED_EVENT, detail)


@bp.app_template_global()
def frame_token() -> str:
    """Return this request's session token for hidden form fields."""
    return g.get("session_token", "")


@bp.app_template_global()
def frame_token_field() -> str:
    """Return the name of the form field that carries the session token."""
    return SESSION_FIELD


@bp.app_template_global()
def application_stages() -> list[str]:
    """Return the application stages in funnel order."""
    return [stage.value for stage in ApplicationStage]


@bp.app_template_global()
def rejection_choices() -> list[tuple[str, str]]:
    """Return (code, label) of the rejection reasons in the session's language."""
    return rejection_reasons(current_session().lang)
