"""Tables of the personal-data operations: erasure marks and retention policies."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, TimestampMixin, utcnow


class StudentErasure(PortalScoped, db.Model):
    """The mark that a student's personal data was anonymised, and why.

    A student with a row here is never anonymised twice, because the second run
    would only find the placeholder names to scrub.
    """

    __tablename__ = "student_erasure"

    student_id: Mapped[int] = mapped_column(
        ForeignKey("student.id", ondelete="CASCADE"), primary_key=True
    )
    erased_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=utcnow, index=True
    )
    # "request" for an erasure the person asked for, "retention" for the job.
    reason: Mapped[str] = mapped_column(String(20), default="request")
    crm_requested: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return f"<StudentErasure {self.student_id} {self.reason} at {self.erased_at}>"


class RetentionPolicy(PortalScoped, TimestampMixin, db.Model):
    """How long a portal keeps the personal data of students with no activity.

    Retention is off while `retention_days` is None, which is also the state of
    a portal without a row.
    """

    __tablename__ = "retention_policy"
    __table_args__ = (UniqueConstraint("portal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    retention_days: Mapped[int | None] = mapped_column(Integer)
    anonymise_in_crm: Mapped[bool] = mapped_column(Boolean, default=False)
    last_run_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    def __repr__(self) -> str:
        return (
            f"<RetentionPolicy portal={self.portal_id} days={self.retention_days} "
            f"crm={self.anonymise_in_crm}>"
        )

    @property
    def enabled(self) -> bool:
        return self.retention_days is not None and self.retention_days > 0
