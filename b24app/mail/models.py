"""A record of each message sent to a student, so a retried job sends it once."""

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, utcnow


class SentMail(PortalScoped, db.Model):
    """One student message, keyed by what it is about ("application:12:offer")."""

    __tablename__ = "sent_mail"
    __table_args__ = (UniqueConstraint("portal_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(120))
    recipient: Mapped[str] = mapped_column(String(254))
    template: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    def __repr__(self) -> str:
        return f"<SentMail {self.topic} sent={self.sent_at is not None}>"
