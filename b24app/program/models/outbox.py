"""CRM write intents: rows the sync part delivers to Bitrix24 through jobs."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, utcnow


class OutboxKind(enum.StrEnum):
    UPSERT_CONTACT = "upsert_contact"
    CREATE_APPLICATION_DEAL = "create_application_deal"
    UPDATE_APPLICATION_DEAL = "update_application_deal"
    ADD_TIMELINE_COMMENT = "add_timeline_comment"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class CrmOutbox(PortalScoped, db.Model):
    """One change the app wants written to the CRM, in the order it was made."""

    __tablename__ = "crm_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(
        String(20), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    def __repr__(self) -> str:
        return f"<CrmOutbox {self.id} {self.kind} {self.entity_type}:{self.entity_id}>"
