"""Webhook endpoints, the notifications queued for them and each delivery attempt."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, TimestampMixin, utcnow


class WebhookEvent(enum.StrEnum):
    INTERNSHIP_OPENED = "internship.opened"
    APPLICATION_STAGE_CHANGED = "application.stage_changed"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # The endpoint was disabled or deleted before the notification got through.
    CANCELLED = "cancelled"


class WebhookEndpoint(PortalScoped, TimestampMixin, db.Model):
    """An HTTPS URL one university receives notifications at.

    The signing secret is stored encrypted with B24_TOKEN_KEY, because each
    delivery needs it in clear to compute the signature.
    """

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int] = mapped_column(
        ForeignKey("university.id", ondelete="CASCADE"), index=True
    )
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(255), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    disabled_reason: Mapped[str] = mapped_column(String(500), default="")
    disabled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # Failed attempts since the last success; reaching the limit disables it.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return (
            f"<WebhookEndpoint {self.id} uni={self.university_id} active={self.active}>"
        )


class WebhookDelivery(PortalScoped, db.Model):
    """One notification for one endpoint, delivered by a job with retries."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    # Sent as the `B24App-Webhook-Id` header so receivers can drop duplicates.
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(
        String(20), default=DeliveryStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=utcnow, index=True
    )
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.event} {self.status}>"


class WebhookAttempt(PortalScoped, db.Model):
    """One HTTP request of a delivery: the delivery log an endpoint owner reads."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str] = mapped_column(String(500), default="")
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=utcnow, index=True
    )

    def __repr__(self) -> str:
        return f"<WebhookAttempt {self.delivery_id}#{self.attempt} {self.status_code}>"
