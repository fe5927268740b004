"""Store a form submission, then route it in a job and confirm it by mail.

The submission row is committed before anything else happens, so a failure of
the routing engine, the CRM or the mail server loses nothing: the job is
retried, and the row shows what is still pending. A submission the engine can
never take (bad data) or that still fails on the last retry is marked failed,
with the error in `reason_code` and `message`, instead of staying pending.
"""

import hashlib
import hmac
import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import DataError

from b24app.extensions import db
from b24app.jobs import enqueue
from b24app.logs import redact
from b24app.mail.student import send_confirmation
from b24app.program.identity import StudentData
from b24app.program.normalize import normalize_email
from b24app.program.routing import ApplicationRequest, route_application
from b24app.public.models import Submission, SubmissionStatus
from b24app.sync.outbound import enqueue_outbox
from b24app.tenancy.models import utcnow

log = logging.getLogger(__name__)

# A second identical submission within this time is the same click, not a new one.
RESUBMIT_WINDOW = timedelta(minutes=10)
# Seconds between the retries of the routing job.
ROUTE_RETRY_INTERVALS = [10, 60, 300, 900, 3600]
# Runs of the routing job: the first one and its retries.
ROUTE_MAX_ATTEMPTS = len(ROUTE_RETRY_INTERVALS) + 1
# Errors that come from the submission's data, so a retry fails the same way.
PERMANENT_ERRORS = (ValueError, TypeError, LookupError, DataError)


def store_submission(
    portal_id: int,
    internship_id: int,
    fields: dict[str, Any],
    consent_text: str,
    lang: str,
    client_address: str,
) -> Submission:
    """Save a validated submission, queue its routing, and return the row.

    A repeat of the same e-mail for the same internship within RESUBMIT_WINDOW
    returns the earlier row and queues nothing.
    """
    email = normalize_email(fields["email"]) or fields["email"]
    earlier = db.session.execute(
        select(Submission)
        .where(
            Submission.portal_id == portal_id,
            Submission.internship_id == internship_id,
            Submission.email == email,
            Submission.created_at > utcnow() - RESUBMIT_WINDOW,
        )
        .order_by(Submission.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if earlier is not None:
        log.info("portal %s: submission %s repeated", portal_id, earlier.id)
        return earlier

    submission = Submission(
        portal_id=portal_id,
        internship_id=internship_id,
        lang=lang,
        email=email,
        payload=fields,
        consent_text=consent_text,
        consent_at=utcnow(),
        client_digest=client_digest(client_address),
    )
    db.session.add(submission)
    db.session.commit()

    log.info(
        "portal %s: stored submission %s for internship %s",
        portal_id,
        submission.id,
        internship_id,
    )
    enqueue(
        route_submission,
        submission.id,
        queue="default",
        timeout=120,
        retries=ROUTE_MAX_ATTEMPTS - 1,
        retry_intervals=ROUTE_RETRY_INTERVALS,
        portal_id=portal_id,
    )
    return submission


def client_digest(address: str) -> str:
    """Return an HMAC-SHA-256 of the client address, keyed with SECRET_KEY.

    A plain hash of an IPv4 address is reversed by trying all 2**32 of them; the
    key makes that impossible without the app's secret.
    """
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def application_request(submission: Submission) -> ApplicationRequest:
    """Build the routing engine's request from a stored submission."""
    fields = submission.payload
    student = StudentData(
        email=fields.get("email"),
        phone=fields.get("phone"),
        university_id=fields.get("university_id"),
        student_number=fields.get("student_number"),
        first_name=fields.get("first_name", ""),
        last_name=fields.get("last_name", ""),
        course=fields.get("course"),
        programme=fields.get("programme", ""),
        skills=list(fields.get("skills") or []),
        consent_text=submission.consent_text,
        consent_at=submission.consent_at,
        source="form",
        observed_at=submission.created_at,
    )
    return ApplicationRequest(
        student=student,
        internship_id=submission.internship_id,
        source="form",
        lang=submission.lang,
        submitted_at=submission.created_at,
    )


def route_submission(submission_id: int) -> None:
    """Job: route one stored submission, record the result, queue the e-mail."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        log.warning("submission %s not found", submission_id)
        return
    if submission.status != SubmissionStatus.PENDING:
        log.info("submission %s was routed before", submission_id)
        return

    portal_id = submission.portal_id
    submission.route_attempts += 1
    attempt = submission.route_attempts
    db.session.commit()
    # NOTE: if the job dies between this commit and the one below, the retry
    # routes again and the engine records a second attempt as "duplicate".
    try:
        outcome = route_application(portal_id, application_request(submission))
    except Exception as error:
        db.session.rollback()
        if isinstance(error, PERMANENT_ERRORS) or attempt >= ROUTE_MAX_ATTEMPTS:
            mark_failed(submission_id, error)
            return
        log.warning(
            "portal %s: routing submission %s failed on attempt %s, will retry: %s",
            portal_id,
            submission_id,
            attempt,
            error,
        )
        raise

    submission = db.session.get(Submission, submission_id)
    submission.status = SubmissionStatus.ROUTED
    submission.attempt_id = outcome.attempt_id
    submission.application_id = outcome.application_id
    submission.reason_code = outcome.reason_code
    submission.message = outcome.message
    submission.routed_at = utcnow()
    db.session.commit()

    # The routing committed CRM write intents; deliver them now rather than at
    # the next periodic sweep.
    enqueue_outbox(portal_id)
    enqueue(
        send_confirmation,
        submission_id,
        queue="mail",
        timeout=60,
        retries=3,
        portal_id=portal_id,
    )


def mark_failed(submission_id: int, error: Exception) -> None:
    """Record that routing gave up on a submission, and why."""
    submission = db.session.get(Submission, submission_id)
    submission.status = SubmissionStatus.FAILED
    submission.reason_code = "routing_failed"
    submission.message = redact(f"{type(error).__name__}: {error}")[:1000]
    submission.routed_at = utcnow()
    db.session.commit()
    log.error(
        "portal %s: routing submission %s failed after %s attempts, marked failed",
        submission.portal_id,
        submission_id,
        submission.route_attempts,
        exc_info=error,
    )
