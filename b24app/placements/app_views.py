"""The app page: overview, searchable lists and the section switcher.

Lists accept GET from htmx (active search, paging) and POST from the plain
form, which carries the session token in `_session`, so search and paging
also work without JavaScript. A non-htmx request gets the whole app page.
"""

from __future__ import annotations

from flask import Response, abort, render_template

from b24app.placements.app_page import (
    ADMIN_SECTIONS,
    LIST_SECTIONS,
    SECTIONS,
    list_context,
    render_app_page,
    section_context,
    visible_sections,
)
from b24app.placements.blueprint import bp
from b24app.web.htmx import is_htmx_request
from b24app.web.messages import render_message
from b24app.web.session import current_session, frame_session_required


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
