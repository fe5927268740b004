"""Data retention: anonymise students with no activity within a portal's period."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select

from b24app.extensions import db
from b24app.program.models import Application, ApplicationAttempt, Student
from b24app.program.personal_data.erase import erase_student
from b24app.program.personal_data.models import RetentionPolicy, StudentErasure
from b24app.public.models import Submission
from b24app.tenancy.models import utcnow

log = logging.getLogger(__name__)

# Students anonymised per portal in one run; the next daily run takes the rest.
MAX_STUDENTS_PER_RUN = 1000


@dataclass
class RetentionReport:
    portal_id: int
    cutoff: datetime
    dry_run: bool
    student_ids: list[int] = field(default_factory=list)


def get_policy(portal_id: int) -> RetentionPolicy | None:
    statement = select(RetentionPolicy).where(RetentionPolicy.portal_id == portal_id)
    return db.session.execute(statement).scalar_one_or_none()


def set_policy(
    portal_id: int, retention_days: int | None, anonymise_in_crm: bool = False
) -> RetentionPolicy:
    """Create or change a portal's policy and commit; None days switches it off."""
    if retention_days is not None and retention_days < 1:
        raise ValueError(
            f"retention period must be at least 1 day, not {retention_days}"
        )

    policy = get_policy(portal_id) or RetentionPolicy(portal_id=portal_id)
    policy.retention_days = retention_days
    policy.anonymise_in_crm = anonymise_in_crm
    db.session.add(policy)
    db.session.commit()
    log.info(
        "portal %s: retention set to %s day(s), CRM %s",
        portal_id,
        retention_days,
        anonymise_in_crm,
    )
    return policy


def inactive_students(portal_id: int, cutoff: datetime, limit: int) -> list[int]:
    """Ids of students not erased yet with no activity since `cutoff`.

    Activity is a profile change, an application created or moved, an
    application attempt or a form submission with the student's e-mail.
    """
    recent_application = exists().where(
        Application.student_id == Student.id,
        or_(Application.created_at >= cutoff, Application.updated_at >= cutoff),
    )
    recent_attempt = exists().where(
        ApplicationAttempt.student_id == Student.id,
        ApplicationAttempt.created_at >= cutoff,
    )
    recent_submission = exists().where(
        Submission.portal_id == Student.portal_id,
        Submission.email == Student.email_normalized,
        Submission.created_at >= cutoff,
    )
    erased = exists().where(StudentErasure.student_id == Student.id)
    statement = (
        select(Student.id)
        .where(
            Student.portal_id == portal_id,
            Student.created_at < cutoff,
            Student.updated_at < cutoff,
            Student.profile_observed_at < cutoff,
            ~recent_application,
            ~recent_attempt,
            ~recent_submission,
            ~erased,
        )
        .order_by(Student.id)
        .limit(limit)
    )
    return list(db.session.execute(statement).scalars())


def run_retention(portal_id: int, dry_run: bool = False) -> RetentionReport | None:
    """Anonymise a portal's inactive students; None when retention is off."""
    policy = get_policy(portal_id)
    if policy is None or not policy.enabled:
        return None

    now = utcnow()
    cutoff = now - timedelta(days=policy.retention_days)
    report = RetentionReport(portal_id, cutoff, dry_run)
    report.student_ids = inactive_students(portal_id, cutoff, MAX_STUDENTS_PER_RUN)
    if dry_run:
        return report

    for student_id in report.student_ids:
        erase_student(
            portal_id, student_id, crm=policy.anonymise_in_crm, reason="retention"
        )
    policy.last_run_at = now
    db.session.commit()
    log.info(
        "portal %s: retention anonymised %s student(s) inactive since %s",
        portal_id,
        len(report.student_ids),
        cutoff.isoformat(),
    )
    return report


def run_retention_all(dry_run: bool = False) -> list[RetentionReport]:
    """Periodic job: apply retention in every portal that has it on."""
    portal_ids = db.session.execute(
        select(RetentionPolicy.portal_id)
        .where(RetentionPolicy.retention_days > 0)
        .order_by(RetentionPolicy.portal_id)
    ).scalars()
    reports = []
    for portal_id in list(portal_ids):
        report = run_retention(portal_id, dry_run=dry_run)
        if report is not None:
            reports.append(report)
    return reports
