"""CRM card tabs (deal, contact, company) and the app page.

Each handler path matches `manifest/app.json`. Bitrix24 posts the frame form to
it; `frame_request_required` verifies the form and starts a session, and the
tab renders from the local mirror only. Follow-up requests from the page
(search, paging, actions) carry the session token instead.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, render_template, request

from b24app.placements import labels, queries
from b24app.placements.actions import submit_application
from b24app.program.errors import NotFoundError, ProgramError
from b24app.program.models import (
    Application,
    Employer,
    Internship,
    Student,
    University,
)
from b24app.program.services import rules as rule_service
from b24app.tenancy.scoping import get_scoped
from b24app.web.frame import VerifiedFrame, entity_id_option
from b24app.web.htmx import hx_trigger, is_htmx_request, page_layout
from b24app.web.messages import render_message
from b24app.web.security import protect_frame_blueprint
from b24app.web.session import (
    current_portal,
    current_session,
    frame_request_required,
    frame_session_required,
)

log = logging.getLogger(__name__)

bp = Blueprint("placements", __name__)
protect_frame_blueprint(bp)
labels.register(bp)

FRAME_METHODS = ["GET", "POST"]
APP_PAGE_PLACEMENTS = ("DEFAULT", "LEFT_MENU")


def render_tab(template: str, **context) -> str:
    """Render a tab template as a full page or, for htmx, as a fragment."""
    return render_template(template, layout=page_layout(), **context)


def card_entity_id(frame: VerifiedFrame, placement: str) -> int | None:
    """Return the card's record id if the frame is the expected placement."""
    if frame.placement != placement:
        log.warning(
            "frame for %s posted to the %s handler, portal %s",
            frame.placement,
            placement,
            frame.portal.id,
        )
        return None
    return entity_id_option(frame.options)


@bp.route("/b24/placement/deal", methods=FRAME_METHODS)
@frame_request_required
def deal_tab(frame: VerifiedFrame) -> Response | str:
    """Show an internship deal with its applicants, or an application deal."""
    deal_id = card_entity_id(frame, "CRM_DEAL_DETAIL_TAB")
    if deal_id is None:
        return render_message(400, "bad_request")
    portal_id = frame.portal.id

    internship = queries.find_by_bitrix_id(Internship, portal_id, deal_id)
    if internship is not None:
        applicants = queries.application_rows(portal_id, internship_id=internship.id)
        application_ids = [row.application.id for row in applicants]
        return render_tab(
            "placements/deal_internship.html",
            internship=internship,
            employer=get_scoped(Employer, portal_id, id=internship.employer_id),
            applicants=applicants,
            pending=queries.pending_changes(portal_id, application_ids=application_ids),
        )

    application = queries.find_by_bitrix_id(Application, portal_id, deal_id)
    if application is not None:
        return render_tab(
            "placements/deal_application.html",
            row=queries.load_application_row(portal_id, application),
            pending=queries.pending_changes(
                portal_id, application_ids=[application.id]
            ),
        )
    return render_message(200, "not_found")


@bp.route("/b24/placement/contact", methods=FRAME_METHODS)
@frame_request_required
def contact_tab(frame: VerifiedFrame) -> Response | str:
    """Show the student behind a contact, their applications and an apply form."""
    contact_id = card_entity_id(frame, "CRM_CONTACT_DETAIL_TAB")
    if contact_id is None:
        return render_message(400, "bad_request")

    student = queries.find_by_bitrix_id(Student, frame.portal.id, contact_id)
    if student is None:
        return render_message(200, "not_found")
    return render_tab("placements/contact.html", **student_context(student))


def student_context(student: Student) -> dict:
    """Return what the contact tab and its fragments show for `student`."""
    portal_id = student.portal_id
    university = None
    if student.university_id is not None:
        university = get_scoped(University, portal_id, id=student.university_id)
    applications = queries.application_rows(portal_id, student_id=student.id)
    application_ids = [row.application.id for row in applications]
    return {
        "student": student,
        "university": university,
        "applications": applications,
        "internships": queries.open_internships(portal_id),
        "pending": queries.pending_changes(portal_id, [student.id], application_ids),
    }


@bp.route("/b24/placement/company", methods=FRAME_METHODS)
@frame_request_required
def company_tab(frame: VerifiedFrame) -> Response | str:
    """Show university or employer statistics for a company card."""
    company_id = card_entity_id(frame, "CRM_COMPANY_DETAIL_TAB")
    if company_id is None:
        return render_message(400, "bad_request")
    portal_id = frame.portal.id

    university = queries.find_by_bitrix_id(University, portal_id, company_id)
    if university is not None:
        return render_tab(
            "placements/company.html",
            kind="university",
            organization=university,
            stats=queries.university_stats(portal_id, university),
            partnerships=queries.partnerships_of(
                portal_id, university_id=university.id
            ),
        )

    employer = queries.find_by_bitrix_id(Employer, portal_id, company_id)
    if employer is not None:
        return render_tab(
            "placements/company.html",
            kind="employer",
            organization=employer,
            stats=queries.employer_stats(portal_id, employer),
            partnerships=queries.partnerships_of(portal_id, employer_id=employer.id),
        )
    return render_message(200, "not_found")


@bp.route("/b24/app", methods=FRAME_METHODS)
@frame_request_required
def app_page(frame: VerifiedFrame) -> Response | str:
    """Show the program overview, the student search and the routing rules."""
    if frame.placement not in APP_PAGE_PLACEMENTS:
        return render_message(400, "bad_request")
    portal_id = frame.portal.id

    students, has_more = queries.search_students(portal_id, "", 1)
    return render_tab(
        "placements/app.html",
        totals=queries.overview(portal_id),
        students=students,
        query="",
        page=1,
        has_more=has_more,
        rules=rule_service.list_rules(portal_id),
    )


@bp.get("/b24/app/students")
@frame_session_required()
def students() -> str:
    """Return one page of the student list for the active search."""
    query = request.args.get("q", "")[:100]
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1

    found, has_more = queries.search_students(current_portal().id, query, page_number)
    return render_template(
        "placements/_students.html",
        students=found,
        query=query,
        page=page_number,
        has_more=has_more,
    )


@bp.post("/b24/app/rules/<int:rule_id>/active")
@frame_session_required(admin=True)
def toggle_rule(rule_id: int) -> Response | str:
    """Switch a routing rule on or off; portal administrators only."""
    portal_id = current_portal().id
    try:
        rule = rule_service.update_rule(
            portal_id, rule_id, active=request.form.get("active") == "1"
        )
    except (NotFoundError, ProgramError):
        return render_message(404, "not_found")

    log.info(
        "routing rule %s set active=%s by user %s, portal %s",
        rule.id,
        rule.active,
        current_session().user_id,
        portal_id,
    )
    rules = rule_service.list_rules(portal_id)
    return render_template("placements/_rules.html", rules=rules)


@bp.post("/b24/placement/contact/<int:student_id>/apply")
@frame_session_required()
def apply(student_id: int) -> Response | str:
    """Apply a student to an internship through the routing engine."""
    portal_id = current_portal().id
    student = get_scoped(Student, portal_id, id=student_id)
    internship_id = request.form.get("internship_id", "")
    if student is None or not internship_id.isdigit():
        return render_message(404, "not_found")

    outcome = submit_application(student, int(internship_id), current_session().lang)
    # htmx swaps only the applications block; a plain form POST gets the whole tab.
    template = "placements/contact.html"
    if is_htmx_request():
        template = "placements/_contact_applications.html"
    response = Response(
        render_tab(template, outcome=outcome, **student_context(student))
    )
    if outcome.accepted:
        hx_trigger(response, "b24app:crm-changed", {"student": student.id})
    return response
