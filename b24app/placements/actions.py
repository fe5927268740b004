"""Card actions that change the program: they write locally, then jobs sync the CRM."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from b24app.program.identity import StudentData
from b24app.program.models import Student
from b24app.program.routing import ApplicationRequest, route_application

log = logging.getLogger(__name__)


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
