"""Messages to students: the confirmation of a submission and stage changes.

Each message is rendered from `templates/mail/<name>.<lang>.txt`, whose first
line is `Subject: ...`, and sent by a job on the "mail" queue. A SentMail row per
topic makes a retried or repeated job send a message once.
"""

import logging
from email.message import EmailMessage

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from b24app.extensions import db
from b24app.intake.i18n import LANGUAGES, language
from b24app.jobs import enqueue
from b24app.mail.models import SentMail
from b24app.mail.smtp import send_message
from b24app.program.crm_spec import REJECTION_REASONS
from b24app.program.models import Application, ApplicationStage, Internship, Student
from b24app.public.models import Submission
from b24app.tenancy.models import Portal, utcnow
from b24app.tenancy.scoping import get_scoped

log = logging.getLogger(__name__)

# Stages a student hears about, and the template for each.
STAGE_TEMPLATES = {
    ApplicationStage.OFFER: "offer",
    ApplicationStage.REJECTED: "rejected",
}


def render_mail(template: str, lang: str, to: str, **context) -> EmailMessage:
    """Render a mail template into a message addressed to `to`."""
    lang = lang if lang in LANGUAGES else "ru"
    with language(lang):
        text = render_template(f"mail/{template}.{lang}.txt", **context)
    first_line, _, body = text.lstrip().partition("\n")
    message = EmailMessage()
    message["Subject"] = first_line.removeprefix("Subject:").strip()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message.set_content(body.strip() + "\n")
    return message


def deliver_once(portal_id: int, topic: str, template: str, message: EmailMessage):
    """Send `message` unless a message on `topic` went out before; commits."""
    row = SentMail(
        portal_id=portal_id, topic=topic, recipient=message["To"], template=template
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        row = db.session.execute(
            select(SentMail).where(
                SentMail.portal_id == portal_id, SentMail.topic == topic
            )
        ).scalar_one()
        if row.sent_at is not None:
            log.info("portal %s: mail %s was sent before", portal_id, topic)
            return
    db.session.commit()

    if send_message(message):
        row.sent_at = utcnow()
        db.session.commit()


def send_confirmation(submission_id: int) -> None:
    """Job: confirm a submission to the student, with the routing result if known."""
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        log.warning("submission %s not found; no confirmation sent", submission_id)
        return
    internship = None
    if submission.internship_id:
        internship = db.session.get(Internship, submission.internship_id)

    message = render_mail(
        "confirmation",
        submission.lang,
        submission.email,
        first_name=submission.payload.get("first_name", ""),
        internship=internship,
        result=submission.message,
    )
    topic = f"submission:{submission.id}:confirmation"
    deliver_once(submission.portal_id, topic, "confirmation", message)


def notify_stage_change(portal_id: int, application_id: int) -> bool:
    """Queue the student's message for the application's current stage.

    The sync part calls this after it stores a stage change. Returns whether a
    message was queued: only offers and rejections have one.
    """
    application = get_scoped(Application, portal_id, id=application_id)
    if application is None or application.stage not in STAGE_TEMPLATES:
        return False
    enqueue(
        send_stage_mail,
        portal_id,
        application_id,
        str(application.stage),
        queue="mail",
        timeout=60,
        retries=3,
        portal_id=portal_id,
    )
    return True


def send_stage_mail(portal_id: int, application_id: int, stage: str) -> None:
    """Job: tell the student about an offer or a rejection."""
    application = get_scoped(Application, portal_id, id=application_id)
    if application is None:
        log.warning("portal %s: application %s not found", portal_id, application_id)
        return
    student = db.session.get(Student, application.student_id)
    if student is None or not student.email:
        log.info(
            "portal %s: student of application %s has no e-mail; not notified",
            portal_id,
            application_id,
        )
        return

    lang = student_language(portal_id, application)
    message = render_mail(
        STAGE_TEMPLATES[ApplicationStage(stage)],
        lang,
        student.email,
        first_name=student.first_name,
        internship=db.session.get(Internship, application.internship_id),
        reason=rejection_reason_label(application.rejection_reason, lang),
    )
    topic = f"application:{application.id}:{stage}"
    deliver_once(portal_id, topic, STAGE_TEMPLATES[ApplicationStage(stage)], message)


def student_language(portal_id: int, application: Application) -> str:
    """Return the language of the student's last form submission, else the portal's."""
    lang = db.session.execute(
        select(Submission.lang)
        .where(
            Submission.portal_id == portal_id,
            Submission.application_id == application.id,
        )
        .order_by(Submission.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if lang:
        return lang
    portal = db.session.get(Portal, portal_id)
    return portal.lang if portal and portal.lang in LANGUAGES else "ru"


def rejection_reason_label(reason: str | None, lang: str) -> str:
    """Return the text of a rejection reason; a known code becomes its label."""
    # NOTE: expects the XML_ID of the UF_CRM_B24_REJECT option (or free text) in
    # Application.rejection_reason; the CRM sends the option's numeric ID.
    for code, english, russian in REJECTION_REASONS:
        if reason and reason.strip().upper() == code:
            return english if lang == "en" else russian
    return (reason or "").strip()
