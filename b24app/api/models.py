"""Tables of the JSON API: stored responses of idempotent POST requests."""

from datetime import datetime

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, utcnow


class IdempotencyRecord(PortalScoped, db.Model):
    """The response to one POST sent with an `Idempotency-Key`, kept until expiry.

    `principal` is the key that sent the request ("university:12"), so two keys of
    one portal may use the same idempotency key without seeing each other's data.
    """

    __tablename__ = "api_idempotency_record"
    __table_args__ = (UniqueConstraint("portal_id", "principal", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    # SHA-256 of method, path and body: a retry must match it exactly.
    request_digest: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(String, default="")
    response_headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime(), index=True)

    def __repr__(self) -> str:
        return f"<IdempotencyRecord {self.principal} {self.idempotency_key!r}>"
