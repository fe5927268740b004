"""Admin editors of the app page: routing rules, terms and partnerships.

Every mutation needs a portal administrator (`frame_session_required(admin=True)`
returns 403 otherwise) and responds with the re-rendered section, or with the
section and the error message and status 422 when the input is invalid. Every
control is a form that also posts without JavaScript (the session token in the
`_session` field), and such a request gets the whole app page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Response, render_template, request

from b24app.placements import forms
from b24app.placements.app_page import editor_context, render_app_page, rules_context
from b24app.placements.blueprint import bp
from b24app.program.errors import NotFoundError, ProgramError
from b24app.program.models import (
    Partnership,
    RoutingRule,
    Term,
)
from b24app.program.services import partnerships as partnership_service
from b24app.program.services import rules as rule_service
from b24app.program.services import terms as term_service
from b24app.tenancy.scoping import get_scoped
from b24app.web.htmx import is_htmx_request
from b24app.web.messages import render_message
from b24app.web.session import current_portal, current_session, frame_session_required

log = logging.getLogger(__name__)


def section_response(section: str, status: int = 200, **extra: Any) -> Response:
    if not is_htmx_request():
        # A plain form post, without JavaScript, gets the whole app page back.
        return Response(render_app_page(section, **extra), status)
    portal_id = current_portal().id
    if section == "rules":
        context = rules_context(portal_id, **extra)
    else:
        context = editor_context(section, portal_id, **extra)
    body = render_template(f"placements/_section_{section}.html", **context)
    return Response(body, status)


def mutate(
    section: str, change: Callable[[int], Any], what: str, creating: bool = False
) -> Response:
    """Run `change(portal_id)`; map bad input to 422 and a missing row to 404.

    When `creating`, a missing row can only be a referenced one (a university
    or employer picked in the form), so it is bad input too.
    """
    portal_id = current_portal().id
    try:
        change(portal_id)
    except NotFoundError as error:
        if creating:
            return section_response(section, 422, error=str(error))
        return render_message(404, "not_found")
    except ProgramError as error:
        return section_response(section, 422, error=str(error))

    log.info("portal %s: %s by user %s", portal_id, what, current_session().user_id)
    return section_response(section)


# -- routing rules -----------------------------------------------------------


@bp.post("/b24/app/rules")
@frame_session_required(admin=True)
def create_rule() -> Response:
    """Add a routing rule after the existing ones."""
    fields = parsed(forms.rule_fields)
    if isinstance(fields, Response):
        return fields
    name = fields.pop("name")
    return mutate(
        "rules",
        lambda portal_id: rule_service.create_rule(portal_id, name, **fields),
        "routing rule created",
        creating=True,
    )


@bp.route("/b24/app/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@frame_session_required(admin=True)
def edit_rule(rule_id: int) -> Response:
    """Show the routing rules with one rule's edit form open."""
    rule = get_scoped(RoutingRule, current_portal().id, id=rule_id)
    if rule is None:
        return render_message(404, "not_found")
    return section_response("rules", editing=rule)


@bp.post("/b24/app/rules/<int:rule_id>")
@frame_session_required(admin=True)
def update_rule(rule_id: int) -> Response:
    """Save a routing rule's name, conditions, strategy and user pool."""
    fields = parsed(forms.rule_fields)
    if isinstance(fields, Response):
        return fields
    return mutate(
        "rules",
        lambda portal_id: rule_service.update_rule(portal_id, rule_id, **fields),
        f"routing rule {rule_id} updated",
    )


@bp.post("/b24/app/rules/<int:rule_id>/active")
@frame_session_required(admin=True)
def toggle_rule(rule_id: int) -> Response:
    """Switch a routing rule on or off."""
    active = request.form.get("active") == "1"
    return mutate(
        "rules",
        lambda portal_id: rule_service.update_rule(portal_id, rule_id, active=active),
        f"routing rule {rule_id} set active={active}",
    )


@bp.post("/b24/app/rules/<int:rule_id>/move")
@frame_session_required(admin=True)
def move_rule(rule_id: int) -> Response:
    """Move a routing rule one place up or down in the order rules are tried."""
    step = -1 if request.form.get("direction") == "up" else 1

    def change(portal_id: int) -> None:
        order = [rule.id for rule in rule_service.list_rules(portal_id)]
        if rule_id not in order:
            raise NotFoundError(f"RoutingRule {rule_id} not found")
        index = order.index(rule_id)
        target = min(max(index + step, 0), len(order) - 1)
        order[index], order[target] = order[target], order[index]
        rule_service.reorder_rules(portal_id, order)

    return mutate("rules", change, f"routing rule {rule_id} moved")


@bp.post("/b24/app/rules/<int:rule_id>/delete")
@frame_session_required(admin=True)
def delete_rule(rule_id: int) -> Response:
    """Delete a routing rule; its decisions keep their stored inputs."""
    return mutate(
        "rules",
        lambda portal_id: rule_service.delete_rule(portal_id, rule_id),
        f"routing rule {rule_id} deleted",
    )


# -- terms and partnerships --------------------------------------------------

EDITORS = {
    "terms": (
        Term,
        forms.term_fields,
        term_service.create_term,
        term_service.update_term,
        term_service.delete_term,
    ),
    "partnerships": (
        Partnership,
        forms.partnership_fields,
        partnership_service.create_partnership,
        partnership_service.update_partnership,
        partnership_service.delete_partnership,
    ),
}
EDITOR_SECTIONS = "<any(terms, partnerships):section>"


@bp.post(f"/b24/app/{EDITOR_SECTIONS}")
@frame_session_required(admin=True)
def create_row(section: str) -> Response:
    """Add a term or a partnership."""
    _, parse, create, _, _ = EDITORS[section]
    fields = parsed(parse)
    if isinstance(fields, Response):
        return fields
    if section == "terms":
        name = fields.pop("name")
        return mutate(
            section,
            lambda portal_id: create(portal_id, name, **fields),
            "term created",
            creating=True,
        )
    university_id = fields.pop("university_id")
    employer_id = fields.pop("employer_id")
    return mutate(
        section,
        lambda portal_id: create(portal_id, university_id, employer_id, **fields),
        "partnership created",
        creating=True,
    )


@bp.route(f"/b24/app/{EDITOR_SECTIONS}/<int:row_id>/edit", methods=["GET", "POST"])
@frame_session_required(admin=True)
def edit_row(section: str, row_id: int) -> Response:
    """Show the section with one row's edit form open."""
    model = EDITORS[section][0]
    row = get_scoped(model, current_portal().id, id=row_id)
    if row is None:
        return render_message(404, "not_found")
    return section_response(section, editing=row)


@bp.post(f"/b24/app/{EDITOR_SECTIONS}/<int:row_id>")
@frame_session_required(admin=True)
def update_row(section: str, row_id: int) -> Response:
    """Save a term or a partnership."""
    _, parse, _, update, _ = EDITORS[section]
    fields = parsed(parse)
    if isinstance(fields, Response):
        return fields
    return mutate(
        section,
        lambda portal_id: update(portal_id, row_id, **fields),
        f"{section} row {row_id} updated",
    )


@bp.post(f"/b24/app/{EDITOR_SECTIONS}/<int:row_id>/delete")
@frame_session_required(admin=True)
def delete_row(section: str, row_id: int) -> Response:
    """Delete a term or a partnership."""
    delete = EDITORS[section][4]
    return mutate(
        section,
        lambda portal_id: delete(portal_id, row_id),
        f"{section} row {row_id} deleted",
    )


def parsed(parse: Callable) -> dict[str, Any] | Response:
    """Parse the posted form, or return the current section with the error."""
    try:
        return parse(request.form)
    except ProgramError as error:
        section = request.path.split("/")[3]
        return section_response(section, 422, error=str(error))
