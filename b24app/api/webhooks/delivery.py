"""The delivery job: one signed POST per attempt, retried on a schedule.

Every attempt is logged. The job raises after a failed attempt, so RQ retries
it after the next interval of `WEBHOOK_RETRY_INTERVALS` in seconds. The default
intervals are 1 min, 5 min, 30 min, 2 h, 6 h, 12 h and 24 h, about 45 hours. An
endpoint that fails `WEBHOOK_DISABLE_AFTER` attempts in a row is disabled
with the reason stored.
"""

import json
import logging
import time

import requests
from flask import current_app

from b24app.api.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from b24app.api.webhooks.secrets import read_secret
from b24app.api.webhooks.signing import (
    EVENT_HEADER,
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
)
from b24app.bitrix.errors import HostNotAllowed
from b24app.extensions import db
from b24app.jobs import enqueue
from b24app.tenancy.clients import host_policy
from b24app.tenancy.models import utcnow

log = logging.getLogger(__name__)

WEBHOOK_QUEUE = "default"
REQUEST_TIMEOUT = (5.0, 10.0)


class DeliveryFailed(Exception):
    """An attempt failed; RQ retries the job after the next interval."""


def schedule_delivery(delivery: WebhookDelivery) -> str:
    """Enqueue the delivery job with the configured retry schedule."""
    intervals = list(current_app.config["WEBHOOK_RETRY_INTERVALS"])
    return enqueue(
        deliver_webhook,
        delivery.id,
        queue=WEBHOOK_QUEUE,
        timeout=60,
        retries=len(intervals),
        retry_intervals=intervals,
        portal_id=delivery.portal_id,
        job_id=f"webhook-{delivery.event_id}",
    )


def deliver_webhook(delivery_id: int) -> str:
    """Job: send one attempt of a delivery; raises DeliveryFailed to be retried."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "nothing to do"
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.active or endpoint.deleted:
        finish(delivery, DeliveryStatus.CANCELLED)
        return "cancelled"

    delivery.attempts += 1
    attempt = send(endpoint, delivery)
    db.session.add(attempt)
    if attempt.succeeded:
        endpoint.consecutive_failures = 0
        finish(delivery, DeliveryStatus.SUCCEEDED)
        return "delivered"

    record_failure(endpoint, delivery, attempt)
    db.session.commit()
    raise DeliveryFailed(
        f"webhook delivery {delivery.id} attempt {attempt.attempt} failed: "
        f"{attempt.error}"
    )


def send(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> WebhookAttempt:
    """POST the signed payload once and return the logged attempt (not added)."""
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "b24app-webhooks/1",
        ID_HEADER: delivery.event_id,
        EVENT_HEADER: delivery.event,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(read_secret(endpoint), timestamp, body),
    }
    attempt = WebhookAttempt(
        portal_id=delivery.portal_id,
        delivery_id=delivery.id,
        endpoint_id=endpoint.id,
        attempt=delivery.attempts,
    )

    started = time.perf_counter()
    try:
        host_policy().check_outbound_url(endpoint.url)
        response = requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=REQUEST_TIMEOUT,
            allow_redirects=False,
        )
    except (requests.RequestException, HostNotAllowed) as error:
        attempt.error = f"{type(error).__name__}: {error}"[:500]
    else:
        attempt.status_code = response.status_code
        attempt.succeeded = 200 <= response.status_code < 300
        if not attempt.succeeded:
            attempt.error = f"HTTP {response.status_code}"
    attempt.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return attempt


def record_failure(
    endpoint: WebhookEndpoint, delivery: WebhookDelivery, attempt: WebhookAttempt
) -> None:
    endpoint.consecutive_failures += 1
    limit = current_app.config["WEBHOOK_DISABLE_AFTER"]
    log.warning(
        "portal %s: webhook endpoint %s delivery %s attempt %s failed: %s",
        delivery.portal_id,
        endpoint.id,
        delivery.id,
        attempt.attempt,
        attempt.error,
    )
    if endpoint.consecutive_failures >= limit:
        endpoint.active = False
        endpoint.disabled_at = utcnow()
        endpoint.disabled_reason = (
            f"disabled after {endpoint.consecutive_failures} failed attempts in a "
            f"row; the last one: {attempt.error}"
        )[:500]
        log.warning(
            "portal %s: webhook endpoint %s disabled after %s failures",
            delivery.portal_id,
            endpoint.id,
            endpoint.consecutive_failures,
        )

    retries = len(current_app.config["WEBHOOK_RETRY_INTERVALS"])
    if delivery.attempts > retries or not endpoint.active:
        delivery.status = DeliveryStatus.FAILED
        delivery.finished_at = utcnow()


def finish(delivery: WebhookDelivery, status: DeliveryStatus) -> None:
    delivery.status = status
    delivery.finished_at = utcnow()
    db.session.commit()
    log.info(
        "portal %s: webhook delivery %s %s after %s attempts",
        delivery.portal_id,
        delivery.id,
        status,
        delivery.attempts,
    )
