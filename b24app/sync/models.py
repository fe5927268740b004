"""Sync bookkeeping: the per-entity ledger, full sync runs and per-portal state."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, TimestampMixin, utcnow


class CrmRecord(PortalScoped, db.Model):
    """What the mirror last stored for one CRM entity of one portal.

    The ledger row is the idempotency key of every upsert, because (portal,
    entity type, Bitrix24 id) is unique. `date_modify` stops an older fetch from
    overwriting a newer one. `content_hash` lets an unchanged fetch (an echo of
    the app's own write, a duplicate event) end without touching program tables.
    """

    __tablename__ = "sync_record"
    __table_args__ = (UniqueConstraint("portal_id", "entity_type", "bitrix_id"),)

    # SQLite autoincrements only an INTEGER primary key, so the embedded mode
    # gets one while PostgreSQL keeps the 64-bit key a large ledger needs.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    entity_type: Mapped[str] = mapped_column(String(16))
    bitrix_id: Mapped[int] = mapped_column(BigInteger)
    # The program table the entity maps to, or "" when the app ignores it
    # (a deal in a pipeline the app does not own).
    kind: Mapped[str] = mapped_column(String(16), default="")
    date_modify: Mapped[datetime | None] = mapped_column(AwareDateTime())
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    # Hash of the state the app itself wrote last; a fetch equal to it is an echo.
    written_hash: Mapped[str | None] = mapped_column(String(64))
    # The mapped values and the Bitrix24 ids of linked entities, kept so a row
    # whose links were missing can be written once they arrive.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    refs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Why the program row is not written yet ("missing contact", ...); "" if it is.
    pending: Mapped[str] = mapped_column(String(120), default="")
    deleted_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    seen_run_id: Mapped[int | None] = mapped_column(Integer)
    synced_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)

    def __repr__(self) -> str:
        state = "deleted" if self.deleted_at else self.kind or "ignored"
        return (
            f"<CrmRecord portal={self.portal_id} "
            f"{self.entity_type}:{self.bitrix_id} {state}>"
        )


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class SyncRun(PortalScoped, TimestampMixin, db.Model):
    """One full sync of a portal or of one university, with its checkpoint.

    `cursor` maps each entity type (or step) to the last Bitrix24 id committed,
    `counts` to the rows stored so far, and `totals` to the row counts the
    portal reported at the start (the denominator of the progress bar). A run
    of kind "university" reads only `university_id`'s company, its students'
    contacts and their application deals.
    """

    __tablename__ = "sync_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="full")
    university_id: Mapped[int | None] = mapped_column(
        ForeignKey("university.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.RUNNING)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    totals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    current_entity: Mapped[str] = mapped_column(String(16), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    def __repr__(self) -> str:
        return f"<SyncRun {self.id} portal={self.portal_id} {self.kind} {self.status}>"

    @property
    def processed(self) -> int:
        return sum(int(value) for value in self.counts.values())

    @property
    def expected(self) -> int:
        return sum(int(value) for value in self.totals.values())


class SyncState(PortalScoped, TimestampMixin, db.Model):
    """Per-portal sync facts the status page shows and the reconcilers resume from."""

    __tablename__ = "sync_state"
    __table_args__ = (UniqueConstraint("portal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    last_full_sync_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_event_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_applied_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_lag_seconds: Mapped[float | None] = mapped_column()
    # Per entity type, the highest DATE_MODIFY the delta sync has stored (ISO text).
    high_water: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_delta_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # "unknown", "available" or "unavailable": whether event.offline.get with
    # clear=0 works on the portal's plan.
    offline_events: Mapped[str] = mapped_column(String(16), default="unknown")
    last_offline_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<SyncState portal={self.portal_id}>"
