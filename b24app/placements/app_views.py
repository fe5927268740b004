"""The app page: overview, searchable lists and the section switcher.

Lists accept GET from htmx (active search, paging) and POST from the plain
form, which carries the session token in `_session`, so search and paging
also work without JavaScript. A non-htmx request gets the whole app page.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, render_template
from sqlalchemy import false

from b24app.placements import listing, queries
from b24app.placements.admin_views import editor_context, rules_context
from b24app.placements.blueprint import bp, optional_id, page_number, search_text
from b24app.placements.labels import INTERNSHIP_STATUSES, STAGES
from b24app.placements.list_scope import user_scope, visible_condition
from b24app.placements.listing import Condition
from b24app.placements.queries import named_choices
from b24app.placements.settings_views import settings_context
from b24app.program.models import Employer, University
from b24app.web.htmx import is_htmx_request, page_layout
from b24app.web.messages import render_message
from b24app.web.session import (
    current_portal,
    current_session,
    frame_session_required,
    session_auth_id,
)

LIST_SECTIONS = ("universities", "employers", "students", "internships", "applications")
ADMIN_SECTIONS = ("terms", "partnerships", "settings")
SECTIONS = (*LIST_SECTIONS, "rules", *ADMIN_SECTIONS)


def list_context(section: str) -> dict[str, Any]:
    """Read the search, filters and page of a list request and load the page."""
    portal_id = current_portal().id
    query, number = search_text(), page_number()
    condition = list_condition(section)
    if section == "universities":
        page = listing.universities(portal_id, query, number, condition)
    elif section == "employers":
        page = listing.employers(portal_id, query, number, condition)
    elif section == "students":
        university_id = optional_id("university_id")
        page = listing.students(portal_id, query, number, university_id, condition)
        page.filters = {"university_id": university_id}
    elif section == "internships":
        status = search_text("status")
        status = status if status in INTERNSHIP_STATUSES else None
        employer_id = optional_id("employer_id")
        page = listing.internships(
            portal_id, query, number, status, employer_id, condition
        )
        page.filters = {"status": status, "employer_id": employer_id}
    else:
        stage = search_text("stage")
        page = listing.applications(
            portal_id,
            number,
            condition=condition,
            query=query,
            stage=stage if stage in STAGES else None,
            university_id=optional_id("university_id"),
            employer_id=optional_id("employer_id"),
        )
        page.filters = {
            "stage": stage if stage in STAGES else None,
            "university_id": optional_id("university_id"),
            "employer_id": optional_id("employer_id"),
        }
    return {"section": section, "query": query, "page": page}


def list_condition(section: str) -> Condition:
    """Return the condition that keeps a non-admin's list to their CRM scope."""
    session = current_session()
    if session.is_admin:
        return None
    auth_id = session_auth_id()
    if auth_id is None:
        return false()
    scope = user_scope(current_portal(), session.user_id, auth_id)
    return visible_condition(section, scope, session.user_id)


def section_context(section: str) -> dict[str, Any]:
    portal_id = current_portal().id
    context: dict[str, Any] = {"section": section}
    if section in LIST_SECTIONS:
        context.update(list_context(section))
        context["university_choices"] = named_choices(University, portal_id)
        context["employer_choices"] = named_choices(Employer, portal_id)
    elif section == "rules":
        context.update(rules_context(portal_id))
    elif section in ("terms", "partnerships"):
        context.update(editor_context(section, portal_id))
    elif section == "settings":
        context.update(settings_context(portal_id))
    return context


def render_app_page(section: str, **extra: Any) -> str:
    """Render the full app page with `section` open."""
    context = section_context(section)
    context.update(extra)
    return render_template(
        "placements/app.html",
        layout=page_layout(),
        totals=queries.overview(current_portal().id),
        sections=visible_sections(),
        **context,
    )


def visible_sections() -> tuple[str, ...]:
    if current_session().is_admin:
        return SECTIONS
    return (*LIST_SECTIONS, "rules")


@bp.route("/b24/app/section/<section>", methods=["GET", "POST"])
@frame_session_required()
def section(section: str) -> Response | str:
    """Return one section of the app page; admin sections need an admin."""
    if section not in SECTIONS:
        abort(404)
    if section in ADMIN_SECTIONS and not current_session().is_admin:
        return render_message(403, "forbidden")
    if not is_htmx_request():
        return render_app_page(section)
    return render_template(
        "placements/_workspace.html",
        sections=visible_sections(),
        **section_context(section),
    )


LIST_RULE = f"/b24/app/<any({', '.join(LIST_SECTIONS)}):section>"


@bp.route(LIST_RULE, methods=["GET", "POST"])
@frame_session_required()
def list_rows(section: str) -> Response | str:
    """Return the rows of one list for the search, filters and page requested."""
    if not is_htmx_request():
        return render_app_page(section)
    return render_template("placements/_list_rows.html", **list_context(section))
