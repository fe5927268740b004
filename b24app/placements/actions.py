"""Card actions that change the program: they write locally, then jobs sync the CRM."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from b24app.program.crm_spec import REJECTION_REASONS
from b24app.program.errors import ProgramError
from b24app.program.identity import StudentData
from b24app.program.models import Application, ApplicationStage, Student
from b24app.program.routing import ApplicationRequest, route_application
from b24app.program.services.stages import change_stage

log = logging.getLogger(__name__)

REJECTION_REASON_CODES = tuple(reason[0] for reason in REJECTION_REASONS)


@dataclass(frozen=True)
class ApplyOutcome:
    """The result of an apply attempt, as the contact tab shows it."""

    accepted: bool
    code: str
    message: str


def submit_application(student: Student, internship_id: int, lang: str) -> ApplyOutcome:
    """Apply `student` to an internship through the routing engine.

    The engine decides and commits in one transaction and records the CRM writes
    (deal, timeline comment) in the outbox. Sync jobs send them, and until then
    the tab shows them as pending.
    """
    request = ApplicationRequest(
        student=student_data(student),
        internship_id=internship_id,
        source="card",
        lang=lang,
    )
    outcome = route_application(student.portal_id, request)
    log.info(
        "apply from card: student %s, internship %s, portal %s: %s",
        student.id,
        internship_id,
        student.portal_id,
        outcome.reason_code,
    )
    return ApplyOutcome(outcome.accepted, outcome.reason_code, outcome.message)


def student_data(student: Student) -> StudentData:
    """Return the stored student as routing input, matched by its CRM contact id."""
    return StudentData(
        email=student.email,
        phone=student.phone,
        university_id=student.university_id,
        student_number=student.student_number,
        first_name=student.first_name,
        last_name=student.last_name,
        course=student.course,
        programme=student.programme,
        skills=list(student.skills or []),
        bitrix_id=student.bitrix_id,
        source="card",
    )


def move_stage(
    portal_id: int, application_id: int, to_stage: str, user_id: int
) -> Application:
    """Move an application to `to_stage`; the outbox carries the move to the CRM."""
    return change_stage(portal_id, application_id, to_stage, changed_by_user_id=user_id)


def reject(
    portal_id: int, application_id: int, reason: str, user_id: int
) -> Application:
    """Reject an application with one of the program's rejection reason codes."""
    if reason not in REJECTION_REASON_CODES:
        raise ProgramError(
            f"unknown rejection reason {reason!r}: use one of "
            f"{', '.join(REJECTION_REASON_CODES)}"
        )
    return change_stage(
        portal_id,
        application_id,
        ApplicationStage.REJECTED,
        changed_by_user_id=user_id,
        reason=reason,
    )


def rejection_reasons(lang: str) -> list[tuple[str, str]]:
    """Return (code, label) of the program's rejection reasons in `lang`."""
    column = 1 if lang == "en" else 2
    return [(reason[0], reason[column]) for reason in REJECTION_REASONS]


def rejection_label(code: str, lang: str) -> str:
    """Return the label of a stored rejection reason; free text stays as it is."""
    return dict(rejection_reasons(lang)).get(code, code)
