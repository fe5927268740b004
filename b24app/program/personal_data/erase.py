"""Anonymise one student in the app, keeping the rows analytics counts."""

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from b24app.analytics import bump_data_version
from b24app.extensions import db
from b24app.program.models import CrmOutbox, OutboxStatus, Student
from b24app.program.personal_data.footprint import load_footprint
from b24app.program.personal_data.models import StudentErasure
from b24app.program.personal_data.scrub import Scrubber, identity_of
from b24app.program.personal_data.sweep import scrub_row, sweep_portal
from b24app.program.services.outbox import add_outbox
from b24app.tenancy.models import Portal, utcnow
from b24app.tenancy.scoping import get_scoped

log = logging.getLogger(__name__)

# The outbox intent for the sync to anonymise the student's CRM contact. The
# sync's projection skips contacts of students with a student_erasure row.
ANONYMISE_CONTACT = "anonymise_contact"
ERASED_NAMES = {"ru": "Удалено", "en": "Erased"}


class StudentNotFound(LookupError):
    """No student with this id in this portal."""


@dataclass
class ErasureResult:
    student_id: int
    already_erased: bool
    crm_queued: bool
    changed_rows: dict[str, int] = field(default_factory=dict)


def erased_name(portal: Portal) -> str:
    return ERASED_NAMES.get(portal.lang, ERASED_NAMES["en"])


def erase_student(
    portal_id: int, student_id: int, crm: bool = False, reason: str = "request"
) -> ErasureResult:
    """Anonymise a student and every row about them, then commit.

    Applications, their stage history and every other row stay, so figures do
    not change. A second call changes nothing in the app, but queues the CRM
    intent if `crm` is set and none was queued before.
    """
    student = get_scoped(Student, portal_id, id=student_id)
    if student is None:
        raise StudentNotFound(f"student {student_id} not found in portal {portal_id}")

    erasure = db.session.get(StudentErasure, student.id)
    if erasure is not None:
        queued = crm and _queue_crm_intent(student)
        erasure.crm_requested = erasure.crm_requested or queued
        db.session.commit()
        log.info("portal %s: student %s was erased before", portal_id, student_id)
        return ErasureResult(student.id, already_erased=True, crm_queued=queued)

    changed = _anonymise(student)
    queued = crm and _queue_crm_intent(student)
    db.session.add(
        StudentErasure(
            portal_id=portal_id,
            student_id=student.id,
            erased_at=utcnow(),
            reason=reason,
            crm_requested=queued,
        )
    )
    db.session.commit()
    bump_data_version(portal_id)

    log.info(
        "portal %s: student %s erased (%s), rows changed %s, CRM intent %s",
        portal_id,
        student.id,
        reason,
        changed,
        "queued" if queued else "not queued",
    )
    return ErasureResult(student.id, False, queued, changed)


def _anonymise(student: Student) -> dict[str, int]:
    """Scrub the rows linked to the student, the student, then the whole portal."""
    identity = identity_of(student)
    found = load_footprint(student)

    # Linked rows are about this person only, so single names and the values
    # of personal keys go too.
    scrubber = Scrubber(identity, include_weak=True)
    changed: dict[str, int] = {}
    for row in found.linked_rows():
        if scrub_row(scrubber, row):
            table = row.__table__.name
            changed[table] = changed.get(table, 0) + 1

    portal = db.session.get(Portal, student.portal_id)
    student.first_name = erased_name(portal)
    student.last_name = ""
    student.email = student.email_normalized = None
    student.phone = student.phone_normalized = None
    student.student_number = None
    student.skills = []
    student.programme = ""
    if student.consent_text:
        student.consent_text = scrubber.text(student.consent_text)
    changed["student"] = 1
    db.session.flush()

    # Logs and payloads not linked by id (events, API responses, failed
    # attempts without a student) are found by the strong strings alone.
    # NOTE: a namesake's rows with the same full name are scrubbed as well.
    for table, count in sweep_portal(student.portal_id, identity).items():
        changed[table] = changed.get(table, 0) + count
    return changed


def _queue_crm_intent(student: Student) -> bool:
    """Queue the contact anonymisation once; return True if a row was added."""
    existing = db.session.execute(
        select(CrmOutbox.id).where(
            CrmOutbox.portal_id == student.portal_id,
            CrmOutbox.kind == ANONYMISE_CONTACT,
            CrmOutbox.entity_type == "student",
            CrmOutbox.entity_id == student.id,
            CrmOutbox.status != OutboxStatus.FAILED,
        )
    ).first()
    if existing is not None:
        return False

    add_outbox(
        student.portal_id,
        ANONYMISE_CONTACT,
        "student",
        student.id,
        {
            "student_id": student.id,
            # The contact may be created later by a pending upsert, so the sync
            # reads the id from the student row when this is None.
            "bitrix_id": student.bitrix_id,
            "name": student.first_name,
        },
    )
    return True
