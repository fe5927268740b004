"""Load every row of one portal that is linked to one student by id or e-mail."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, func, or_, select

from b24app.api.webhooks.models import WebhookDelivery
from b24app.extensions import db
from b24app.mail.models import SentMail
from b24app.program.models import (
    Application,
    ApplicationAttempt,
    ApplicationStageChange,
    CrmOutbox,
    RoutingDecision,
    Student,
)
from b24app.program.personal_data.models import StudentErasure
from b24app.public.models import Submission
from b24app.sync.models import CrmRecord


@dataclass
class Footprint:
    """A student's row and the rows about them, each list in id order."""

    student: Student
    erasure: StudentErasure | None
    applications: list[Application] = field(default_factory=list)
    stage_changes: list[ApplicationStageChange] = field(default_factory=list)
    attempts: list[ApplicationAttempt] = field(default_factory=list)
    decisions: list[RoutingDecision] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)
    sent_mails: list[SentMail] = field(default_factory=list)
    outbox: list[CrmOutbox] = field(default_factory=list)
    crm_records: list[CrmRecord] = field(default_factory=list)
    webhook_deliveries: list[WebhookDelivery] = field(default_factory=list)

    def linked_rows(self) -> list[Any]:
        """Return every row except the student's own, in the order listed above."""
        return [
            *self.applications,
            *self.stage_changes,
            *self.attempts,
            *self.decisions,
            *self.submissions,
            *self.sent_mails,
            *self.outbox,
            *self.crm_records,
            *self.webhook_deliveries,
        ]


def _rows(model: Any, portal_id: int, *conditions: Any) -> list[Any]:
    statement = (
        select(model)
        .where(model.portal_id == portal_id, or_(*conditions))
        .order_by(*model.__mapper__.primary_key)
    )
    return list(db.session.execute(statement).scalars())


def load_footprint(student: Student) -> Footprint:
    """Collect the rows about `student`, all from the student's portal."""
    portal_id = student.portal_id
    found = Footprint(student, db.session.get(StudentErasure, student.id))

    found.applications = _rows(
        Application, portal_id, Application.student_id == student.id
    )
    application_ids = [row.id for row in found.applications]
    found.stage_changes = _rows(
        ApplicationStageChange,
        portal_id,
        ApplicationStageChange.application_id.in_(application_ids),
    )
    found.attempts = _rows(
        ApplicationAttempt,
        portal_id,
        ApplicationAttempt.student_id == student.id,
        ApplicationAttempt.application_id.in_(application_ids),
    )
    decision_ids = [row.decision_id for row in found.attempts if row.decision_id]
    found.decisions = _rows(
        RoutingDecision,
        portal_id,
        RoutingDecision.id.in_(decision_ids),
        RoutingDecision.application_id.in_(application_ids),
    )
    found.submissions = _load_submissions(found, application_ids)
    found.sent_mails = _load_sent_mails(found, application_ids)
    found.outbox = _rows(
        CrmOutbox,
        portal_id,
        (CrmOutbox.entity_type == "student") & (CrmOutbox.entity_id == student.id),
        (CrmOutbox.entity_type == "application")
        & CrmOutbox.entity_id.in_(application_ids),
    )
    found.crm_records = _load_crm_records(found)
    found.webhook_deliveries = _load_webhook_deliveries(found)
    return found


def _load_submissions(found: Footprint, application_ids: list[int]) -> list[Submission]:
    conditions = [
        Submission.attempt_id.in_([row.id for row in found.attempts]),
        Submission.application_id.in_(application_ids),
    ]
    # Submissions store the normalized e-mail, so this also finds the ones
    # whose routing has not run yet.
    if found.student.email_normalized:
        conditions.append(Submission.email == found.student.email_normalized)
    return _rows(Submission, found.student.portal_id, *conditions)


def _load_sent_mails(found: Footprint, application_ids: list[int]) -> list[SentMail]:
    # Topics name the row a message is about: "application:12:offer",
    # "submission:7:confirmation".
    prefixes = [f"application:{id_}:" for id_ in application_ids]
    prefixes += [f"submission:{row.id}:" for row in found.submissions]
    conditions = [SentMail.topic.startswith(prefix) for prefix in prefixes]
    if found.student.email:
        email = found.student.email.lower()
        conditions.append(func.lower(SentMail.recipient) == email)
    if not conditions:
        return []
    return _rows(SentMail, found.student.portal_id, *conditions)


def _load_crm_records(found: Footprint) -> list[CrmRecord]:
    """Load the sync ledger rows of the student's contact and application deals."""
    conditions = []
    if found.student.bitrix_id:
        conditions.append(
            (CrmRecord.entity_type == "contact")
            & (CrmRecord.bitrix_id == found.student.bitrix_id)
        )
    deal_ids = [row.bitrix_id for row in found.applications if row.bitrix_id]
    if deal_ids:
        conditions.append(
            (CrmRecord.entity_type == "deal") & CrmRecord.bitrix_id.in_(deal_ids)
        )
    if not conditions:
        return []
    return _rows(CrmRecord, found.student.portal_id, *conditions)


def _load_webhook_deliveries(found: Footprint) -> list[WebhookDelivery]:
    """Deliveries whose payload names the student, as stage notifications do."""
    marker = f'"student_id": {found.student.id}'
    candidates = _rows(
        WebhookDelivery,
        found.student.portal_id,
        cast(WebhookDelivery.payload, Text).contains(marker, autoescape=True),
    )
    return [row for row in candidates if _names_student(row.payload, found.student.id)]


def _names_student(payload: Any, student_id: int) -> bool:
    if isinstance(payload, dict):
        if payload.get("student_id") == student_id:
            return True
        return any(_names_student(value, student_id) for value in payload.values())
    if isinstance(payload, list):
        return any(_names_student(item, student_id) for item in payload)
    return False
