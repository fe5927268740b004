"""Entry points for the sync part: queue notifications when the CRM changes."""

import logging
import uuid
from typing import Any

from sqlalchemy import select

from b24app.api.webhooks.delivery import schedule_delivery
from b24app.api.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from b24app.extensions import db
from b24app.program.models import (
    Application,
    Internship,
    Partnership,
    PartnershipStatus,
)
from b24app.tenancy.models import utcnow
from b24app.tenancy.scoping import get_scoped, scoped

log = logging.getLogger(__name__)


def notify_internship_opened(portal_id: int, internship_id: int) -> list[int]:
    """Queue `internship.opened` for each university the internship is open to.

    Those are all universities when it is open to all, else the universities it
    names, else the universities with an active partnership with its employer.
    Returns the delivery ids; commits.
    """
    internship = get_scoped(Internship, portal_id, id=internship_id)
    if internship is None:
        log.warning("portal %s: internship %s not found", portal_id, internship_id)
        return []

    payload = {
        "internship": {
            "id": internship.id,
            "bitrix_id": internship.bitrix_id,
            "title": internship.title,
            "employer_id": internship.employer_id,
            "city": internship.city,
            "seats": internship.seats,
            "starts_on": _iso(internship.starts_on),
            "applications_close_at": _iso(internship.applications_close_at),
        }
    }
    universities = None if internship.open_to_all else audience(internship)
    return queue_event(portal_id, WebhookEvent.INTERNSHIP_OPENED, universities, payload)


def audience(internship: Internship) -> set[int]:
    named = set(internship.university_ids)
    if named:
        return named
    statement = select(Partnership.university_id).where(
        Partnership.portal_id == internship.portal_id,
        Partnership.employer_id == internship.employer_id,
        Partnership.status == PartnershipStatus.ACTIVE,
    )
    return set(db.session.execute(statement).scalars())


def notify_application_stage_changed(portal_id: int, application_id: int) -> list[int]:
    """Queue `application.stage_changed` for the student's university; commits."""
    application = get_scoped(Application, portal_id, id=application_id)
    if application is None or application.university_id is None:
        return []

    payload = {
        "application": {
            "id": application.id,
            "bitrix_id": application.bitrix_id,
            "student_id": application.student_id,
            "internship_id": application.internship_id,
            "stage": application.stage,
            "rejection_reason": application.rejection_reason,
            "updated_at": _iso(application.updated_at),
        }
    }
    return queue_event(
        portal_id,
        WebhookEvent.APPLICATION_STAGE_CHANGED,
        {application.university_id},
        payload,
    )


def queue_event(
    portal_id: int,
    event: WebhookEvent,
    university_ids: set[int] | None,
    data: dict[str, Any],
) -> list[int]:
    """Create one delivery per subscribed active endpoint, commit, enqueue jobs."""
    statement = scoped(WebhookEndpoint, portal_id).where(
        WebhookEndpoint.active.is_(True), WebhookEndpoint.deleted.is_(False)
    )
    if university_ids is not None:
        statement = statement.where(WebhookEndpoint.university_id.in_(university_ids))

    deliveries = []
    for endpoint in db.session.execute(statement).scalars():
        if event not in (endpoint.events or []):
            continue
        event_id = str(uuid.uuid4())
        payload = {
            "id": event_id,
            "event": str(event),
            "created_at": utcnow().isoformat(),
            "university_id": endpoint.university_id,
            "data": data,
        }
        delivery = WebhookDelivery(
            portal_id=portal_id,
            endpoint_id=endpoint.id,
            event_id=event_id,
            event=event,
            payload=payload,
        )
        db.session.add(delivery)
        deliveries.append(delivery)
    db.session.commit()

    for delivery in deliveries:
        schedule_delivery(delivery)
    log.info("portal %s: %s queued for %s endpoints", portal_id, event, len(deliveries))
    return [delivery.id for delivery in deliveries]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
