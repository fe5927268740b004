"""The event inbox: every accepted Bitrix24 event, stored before it is processed."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, utcnow


class InboxStatus(enum.StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class EventInbox(PortalScoped, db.Model):
    """One event delivery, written in the request that received it.

    Bitrix24 never resends an event, so the row is the durable copy: a job
    processes it later, and the sweeper re-enqueues rows a lost job left behind.
    `payload` is the decoded form body without any token.
    """

    __tablename__ = "event_inbox"
    __table_args__ = (UniqueConstraint("portal_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32), default="")
    entity_id: Mapped[str] = mapped_column(String(32), default="")
    handler_id: Mapped[str] = mapped_column(String(32), default="")
    ts: Mapped[int | None] = mapped_column(Integer)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(
        String(16), default=InboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    def __repr__(self) -> str:
        return (
            f"<EventInbox {self.id} portal={self.portal_id} {self.event} "
            f"{self.entity_type}:{self.entity_id} {self.status}>"
        )
