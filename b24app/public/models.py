"""Tables of the public application page: its address and the submissions."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, TimestampMixin, utcnow


class PublicPage(PortalScoped, TimestampMixin, db.Model):
    """A portal's public application page, reached by an unguessable slug."""

    __tablename__ = "public_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<PublicPage portal={self.portal_id} enabled={self.enabled}>"


class SubmissionStatus(enum.StrEnum):
    PENDING = "pending"
    ROUTED = "routed"
    FAILED = "failed"


class Submission(PortalScoped, db.Model):
    """One form submission, committed before routing, so a failed routing job
    can be retried from it.

    `payload` holds the cleaned form fields; the routing job turns it into an
    ApplicationRequest and records the engine's attempt and message here.
    """

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=utcnow, index=True
    )
    internship_id: Mapped[int | None] = mapped_column(
        ForeignKey("internship.id", ondelete="SET NULL"), index=True
    )
    lang: Mapped[str] = mapped_column(String(8), default="ru")
    email: Mapped[str] = mapped_column(String(254))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    consent_text: Mapped[str] = mapped_column(Text)
    consent_at: Mapped[datetime] = mapped_column(AwareDateTime())
    # HMAC-SHA-256 of the client address, to spot abuse without storing addresses.
    client_digest: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(
        String(20), default=SubmissionStatus.PENDING, index=True
    )
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("application_attempt.id", ondelete="SET NULL")
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"), index=True
    )
    reason_code: Mapped[str] = mapped_column(String(40), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    routed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    route_attempts: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Submission {self.id} portal={self.portal_id} {self.status}>"
