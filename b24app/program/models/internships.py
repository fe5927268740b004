"""Internships: deals in the CRM "Internships" pipeline."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, TimestampMixin


class InternshipStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Internship(PortalScoped, TimestampMixin, db.Model):
    """An internship offered by one employer.

    Students of any university may apply when `open_to_all` is set. Otherwise a
    student's university needs a partnership with the employer that has seats left,
    and, when `universities` is not empty, must be one of them.
    """

    __tablename__ = "internship"
    __table_args__ = (UniqueConstraint("portal_id", "bitrix_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bitrix_id: Mapped[int | None] = mapped_column(Integer, index=True)
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employer.id", ondelete="CASCADE"), index=True
    )
    term_id: Mapped[int | None] = mapped_column(
        ForeignKey("term.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(255))
    city: Mapped[str] = mapped_column(String(120), default="")
    required_skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Programmes the internship is meant for; empty means any programme.
    programmes: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_course: Mapped[int | None] = mapped_column(Integer)
    max_course: Mapped[int | None] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer, default=1)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    applications_open_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    applications_close_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    status: Mapped[str] = mapped_column(
        String(20), default=InternshipStatus.DRAFT, index=True
    )
    open_to_all: Mapped[bool] = mapped_column(Boolean, default=False)
    # The Bitrix24 user responsible for the internship deal (routing fallback).
    responsible_user_id: Mapped[int | None] = mapped_column(Integer)

    university_links: Mapped[list["InternshipUniversity"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<Internship {self.id} {self.title!r} {self.status}>"

    @property
    def university_ids(self) -> list[int]:
        return sorted(link.university_id for link in self.university_links)


class InternshipUniversity(PortalScoped, db.Model):
    """One university an internship is offered to."""

    __tablename__ = "internship_university"
    __table_args__ = (UniqueConstraint("internship_id", "university_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    internship_id: Mapped[int] = mapped_column(
        ForeignKey("internship.id", ondelete="CASCADE"), index=True
    )
    university_id: Mapped[int] = mapped_column(
        ForeignKey("university.id", ondelete="CASCADE"), index=True
    )

    def __repr__(self) -> str:
        return f"<InternshipUniversity {self.internship_id}->{self.university_id}>"
