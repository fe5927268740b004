"""The app page's content: sections, list pages and the editors' contexts.

Both the app page views and the admin editors render the whole page for a
request without htmx, so the page's context lives here, apart from the views.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from sqlalchemy import false

from b24app.extensions import db
from b24app.placements import listing, queries
from b24app.placements.blueprint import optional_id, page_number, search_text
from b24app.placements.labels import INTERNSHIP_STATUSES, PARTNERSHIP_STATUSES, STAGES
from b24app.placements.list_scope import user_scope, visible_condition
from b24app.placements.listing import Condition
from b24app.placements.queries import named_choices
from b24app.placements.reports import reports_context
from b24app.placements.settings_views import settings_context
from b24app.program.models import (
    Employer,
    Internship,
    RoutingStrategy,
    Term,
    University,
)
from b24app.program.services import rules as rule_service
from b24app.tenancy.scoping import scoped
from b24app.web.htmx import page_layout
from b24app.web.session import current_portal, current_session, session_auth_id

LIST_SECTIONS = ("universities", "employers", "students", "internships", "applications")
ADMIN_SECTIONS = ("terms", "partnerships", "reports", "settings")
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
    portal = current_portal()
    scope = user_scope(portal, session.user_id, auth_id)
    return visible_condition(section, scope, portal.id, session.user_id)


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
    elif section == "reports":
        context.update(reports_context(portal_id))
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


def rules_context(portal_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "rules": rule_service.list_rules(portal_id),
        "strategies": [strategy.value for strategy in RoutingStrategy],
        "university_choices": named_choices(University, portal_id),
        "employer_choices": named_choices(Employer, portal_id),
        "internship_choices": named_choices(Internship, portal_id, "title"),
        "editing": None,
        "error": None,
        **extra,
    }


def editor_context(section: str, portal_id: int, **extra: Any) -> dict[str, Any]:
    """Return the terms or partnerships section context."""
    if section == "terms":
        rows = list(
            db.session.execute(
                scoped(Term, portal_id).order_by(Term.starts_on, Term.id)
            ).scalars()
        )
        context = {"terms": rows}
    else:
        context = {
            "partnerships": queries.partnerships_of(portal_id),
            "university_choices": named_choices(University, portal_id),
            "employer_choices": named_choices(Employer, portal_id),
            "term_choices": named_choices(Term, portal_id),
            "statuses": list(PARTNERSHIP_STATUSES),
        }
    return {"section": section, "editing": None, "error": None, **context, **extra}
