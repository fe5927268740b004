"""CRM card tabs (deal, contact, company) and the app page: the frame entry points.

Each handler path matches `manifest/app.json`. Bitrix24 posts the frame form to
it; `frame_request_required` verifies the form and starts a session, and the
tab renders from the local mirror only. Follow-up requests from the page
(search, paging, actions) carry the session token and live in the other view
modules of this package, which share `bp`.
"""

from __future__ import annotations

import logging

from flask import Response

from b24app.placements import (  # noqa: F401  (their routes join `bp`)
    admin_views,
    app_views,
    card_views,
    queries,
    report_views,
    settings_views,
)
from b24app.placements import context as tab_context
from b24app.placements.app_page import render_app_page
from b24app.placements.blueprint import bp, render_tab
from b24app.placements.permissions import reject_unless_readable
from b24app.program.models import Application, Employer, Internship, Student, University
from b24app.web.crm_access import COMPANY, CONTACT, DEAL
from b24app.web.frame import VerifiedFrame, entity_id_option
from b24app.web.messages import render_message
from b24app.web.session import frame_request_required

log = logging.getLogger(__name__)

FRAME_METHODS = ["GET", "POST"]
APP_PAGE_PLACEMENTS = ("DEFAULT", "LEFT_MENU")


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
    rejection = reject_unless_readable(DEAL, deal_id)
    if rejection is not None:
        return rejection
    portal_id = frame.portal.id

    internship = queries.find_by_bitrix_id(Internship, portal_id, deal_id)
    if internship is not None:
        return render_tab(
            "placements/deal_internship.html",
            **tab_context.internship_context(internship, {}, 1),
        )

    application = queries.find_by_bitrix_id(Application, portal_id, deal_id)
    if application is not None:
        return render_tab(
            "placements/deal_application.html",
            **tab_context.application_context(application),
        )
    return render_tab("placements/deal_other.html", deal_id=deal_id)


@bp.route("/b24/placement/contact", methods=FRAME_METHODS)
@frame_request_required
def contact_tab(frame: VerifiedFrame) -> Response | str:
    """Show the student behind a contact, their applications and recommendations."""
    contact_id = card_entity_id(frame, "CRM_CONTACT_DETAIL_TAB")
    if contact_id is None:
        return render_message(400, "bad_request")
    rejection = reject_unless_readable(CONTACT, contact_id)
    if rejection is not None:
        return rejection

    student = queries.find_by_bitrix_id(Student, frame.portal.id, contact_id)
    if student is None:
        return render_message(200, "not_found")
    return render_tab("placements/contact.html", **tab_context.student_context(student))


@bp.route("/b24/placement/company", methods=FRAME_METHODS)
@frame_request_required
def company_tab(frame: VerifiedFrame) -> Response | str:
    """Show a university's students or an employer's internships and funnel."""
    company_id = card_entity_id(frame, "CRM_COMPANY_DETAIL_TAB")
    if company_id is None:
        return render_message(400, "bad_request")
    rejection = reject_unless_readable(COMPANY, company_id)
    if rejection is not None:
        return rejection
    portal_id = frame.portal.id

    university = queries.find_by_bitrix_id(University, portal_id, company_id)
    if university is not None:
        return render_tab(
            "placements/company.html", **tab_context.university_context(university)
        )

    employer = queries.find_by_bitrix_id(Employer, portal_id, company_id)
    if employer is not None:
        return render_tab(
            "placements/company.html", **tab_context.employer_context(employer)
        )
    return render_message(200, "not_found")


@bp.route("/b24/app", methods=FRAME_METHODS)
@frame_request_required
def app_page(frame: VerifiedFrame) -> Response | str:
    """Show the program overview with the student list open."""
    if frame.placement not in APP_PAGE_PLACEMENTS:
        return render_message(400, "bad_request")
    return render_app_page("students")
