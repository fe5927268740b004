"""Card tab fragments and actions: applicant filters, stage moves, re-routing, apply.

Actions change the program locally and queue CRM writes in the outbox; the
response shows them as pending and triggers a reload of the card.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, request

from b24app.placements import context as tab_context
from b24app.placements.actions import move_stage, reject, submit_application
from b24app.placements.blueprint import (
    bp,
    page_number,
    render_tab,
    send_to_crm,
)
from b24app.placements.permissions import (
    reject_unless_editable,
    reject_unless_readable,
)
from b24app.placements.rerouting import reroute_application
from b24app.program.errors import NotFoundError, ProgramError
from b24app.program.models import Application, Employer, Internship, Student, University
from b24app.tenancy.scoping import get_scoped
from b24app.web.crm_access import COMPANY, CONTACT, DEAL
from b24app.web.htmx import is_htmx_request
from b24app.web.messages import render_message
from b24app.web.params import positive_int
from b24app.web.session import current_portal, current_session, frame_session_required

log = logging.getLogger(__name__)


@bp.route(
    "/b24/placement/internships/<int:internship_id>/applicants", methods=["GET", "POST"]
)
@frame_session_required()
def applicants(internship_id: int) -> Response | str:
    """Return the internship's applicants for the chosen stage and university."""
    portal_id = current_portal().id
    internship = get_scoped(Internship, portal_id, id=internship_id)
    if internship is None:
        return render_message(404, "not_found")
    rejection = reject_unless_readable(DEAL, internship.bitrix_id)
    if rejection is not None:
        return rejection

    filters = tab_context.applicant_filters(portal_id, request.values)
    context = tab_context.internship_context(internship, filters, page_number())
    return render_tab("placements/_applicants.html", **context)


@bp.post("/b24/placement/applications/<int:application_id>/stage")
@frame_session_required()
def change_application_stage(application_id: int) -> Response | str:
    """Move an application to another stage."""
    stage = request.form.get("stage", "")
    return run_action(
        application_id,
        lambda portal_id, user_id: move_stage(
            portal_id, application_id, stage, user_id
        ),
    )


@bp.post("/b24/placement/applications/<int:application_id>/reject")
@frame_session_required()
def reject_application(application_id: int) -> Response | str:
    """Reject an application with one of the program's reasons."""
    reason = request.form.get("reason", "")
    return run_action(
        application_id,
        lambda portal_id, user_id: reject(portal_id, application_id, reason, user_id),
    )


@bp.post("/b24/placement/applications/<int:application_id>/reroute")
@frame_session_required()
def reroute(application_id: int) -> Response | str:
    """Run routing again for an application and store the new decision."""
    lang = current_session().lang
    return run_action(
        application_id,
        lambda portal_id, user_id: reroute_application(
            portal_id, application_id, user_id, lang
        ),
    )


def run_action(application_id: int, action) -> Response | str:
    """Run a card action on one application and re-render where it was made.

    The `view` form field names the tab that posted: "internship" re-renders the
    applicant list with its filters, anything else the application tab.
    """
    portal_id = current_portal().id
    user_id = current_session().user_id
    application = get_scoped(Application, portal_id, id=application_id)
    if application is None:
        return render_message(404, "not_found")
    rejection = reject_unless_editable(application.bitrix_id)
    if rejection is not None:
        return rejection

    error = None
    try:
        action(portal_id, user_id)
    except NotFoundError:
        return render_message(404, "not_found")
    except ProgramError as failure:
        log.info(
            "portal %s: card action on application %s rejected: %s",
            portal_id,
            application_id,
            failure,
        )
        error = str(failure)

    response = Response(render_after_action(application, error))
    if error is not None:
        response.status_code = 422
        return response
    return send_to_crm(portal_id, response, {"application": application_id})


def render_after_action(application: Application, error: str | None) -> str:
    if request.form.get("view") == "internship":
        internship = get_scoped(
            Internship, application.portal_id, id=application.internship_id
        )
        filters = tab_context.applicant_filters(application.portal_id, request.form)
        context = tab_context.internship_context(internship, filters, page_number())
        template = "placements/deal_internship.html"
        if is_htmx_request():
            template = "placements/_applicants.html"
        return render_tab(template, error=error, **context)

    template = "placements/deal_application.html"
    if is_htmx_request():
        template = "placements/_application.html"
    return render_tab(
        template, error=error, **tab_context.application_context(application)
    )


def readable_company(model: Any, row_id: int) -> tuple[Any, Response | str | None]:
    """Load a live university or employer, with the page to show if it is rejected.

    The second value is a 404 page for a missing or deleted row, or the access
    check's page when the user may not read its CRM company, else None.
    """
    row = get_scoped(model, current_portal().id, id=row_id)
    if row is None or row.deleted:
        return None, render_message(404, "not_found")
    return row, reject_unless_readable(COMPANY, row.bitrix_id)


@bp.route(
    "/b24/placement/universities/<int:university_id>/students", methods=["GET", "POST"]
)
@frame_session_required()
def university_students(university_id: int) -> Response | str:
    """Return one page of a university's students for the company tab."""
    university, rejection = readable_company(University, university_id)
    if rejection is not None:
        return rejection
    context = tab_context.university_context(university, page_number())
    return render_tab("placements/_company_students.html", **context)


@bp.route(
    "/b24/placement/employers/<int:employer_id>/internships", methods=["GET", "POST"]
)
@frame_session_required()
def employer_internships(employer_id: int) -> Response | str:
    """Return one page of an employer's internships for the company tab."""
    employer, rejection = readable_company(Employer, employer_id)
    if rejection is not None:
        return rejection
    context = tab_context.employer_context(employer, page_number())
    return render_tab("placements/_company_internships.html", **context)


@bp.post("/b24/placement/contact/<int:student_id>/apply")
@frame_session_required()
def apply(student_id: int) -> Response | str:
    """Apply a student to an internship through the routing engine."""
    portal_id = current_portal().id
    student = get_scoped(Student, portal_id, id=student_id)
    if student is None:
        return render_message(404, "not_found")
    rejection = reject_unless_readable(CONTACT, student.bitrix_id)
    if rejection is not None:
        return rejection
    internship_id = positive_int(
        request.form.get("internship_id"), field="internship_id"
    )

    outcome = submit_application(student, internship_id, current_session().lang)
    # htmx swaps only the applications block; a plain form POST gets the whole tab.
    template = "placements/contact.html"
    if is_htmx_request():
        template = "placements/_contact_applications.html"
    context = tab_context.student_context(student, outcome)
    response = Response(render_tab(template, **context))
    if outcome.accepted:
        send_to_crm(portal_id, response, {"student": student.id})
    return response
