"""The placements blueprint and the small request helpers its view modules share."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, g, render_template, request
from redis.exceptions import RedisError

from b24app.placements import explanations, labels
from b24app.placements.actions import rejection_reasons
from b24app.program.models import ApplicationStage
from b24app.sync.outbound import enqueue_outbox
from b24app.web.htmx import hx_trigger, page_layout
from b24app.web.input_guard import guard_frame_input
from b24app.web.params import InvalidParameter, optional_positive_int, positive_int
from b24app.web.security import protect_frame_blueprint
from b24app.web.session import SESSION_FIELD, current_session

log = logging.getLogger(__name__)

bp = Blueprint("placements", __name__)
protect_frame_blueprint(bp)
guard_frame_input(bp)
labels.register(bp)
explanations.register(bp)

# The event that makes app.js call BX24.placement.call('reloadData').
CRM_CHANGED_EVENT = "b24app:crm-changed"
MAX_PAGE = 10_000


def render_tab(template: str, **context) -> str:
    """Render a tab template as a full page or, for htmx, as a fragment."""
    return render_template(template, layout=page_layout(), **context)


def page_number() -> int:
    """Return the `page` request value as 1..MAX_PAGE; anything else is page 1.

    A bad page number comes from an edited link, so the first page is shown
    in place of an error.
    """
    try:
        return positive_int(request.values.get("page"), field="page", maximum=MAX_PAGE)
    except InvalidParameter:
        return 1


def optional_id(name: str) -> int | None:
    """Return request value `name` as a positive id, or None if absent or invalid.

    The value is a list filter, and a bad one is ignored like an unknown stage.
    """
    return lenient_id(request.values.get(name), name)


def lenient_id(value: str | None, field: str) -> int | None:
    """Return `value` as a positive id, or None if it is blank or invalid."""
    try:
        return optional_positive_int(value, field=field)
    except InvalidParameter:
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
