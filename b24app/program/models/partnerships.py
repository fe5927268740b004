"""Partnerships: a university and an employer agree on seats for a term."""

import enum
from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from b24app.extensions import db
from b24app.tenancy.models import PortalScoped, TimestampMixin


class PartnershipStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


class Partnership(PortalScoped, TimestampMixin, db.Model):
    """Seats an employer keeps for one university's students.

    `seats_used` counts applications that hold a seat (every stage except rejected
    and withdrawn); `program.services.seats.recompute_seats` rebuilds it.
    """

    __tablename__ = "partnership"

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int] = mapped_column(
        ForeignKey("university.id", ondelete="CASCADE"), index=True
    )
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employer.id", ondelete="CASCADE"), index=True
    )
    # A partnership for one term, or, without a term, for the dates it covers.
    term_id: Mapped[int | None] = mapped_column(
        ForeignKey("term.id", ondelete="SET NULL"), index=True
    )
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    agreement_number: Mapped[str] = mapped_column(String(64), default="")
    seats_total: Mapped[int] = mapped_column(Integer, default=0)
    seats_used: Mapped[int] = mapped_column(Integer, default=0)
    university_contact_name: Mapped[str] = mapped_column(String(255), default="")
    employer_contact_name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(
        String(20), default=PartnershipStatus.ACTIVE, index=True
    )

    seat_allocations: Mapped[list["PartnershipSeat"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return (
            f"<Partnership {self.id} uni={self.university_id} "
            f"employer={self.employer_id} {self.seats_used}/{self.seats_total}>"
        )


class PartnershipSeat(PortalScoped, db.Model):
    """Seats of a partnership set aside for one internship."""

    __tablename__ = "partnership_seat"
    __table_args__ = (UniqueConstraint("partnership_id", "internship_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id", ondelete="CASCADE"), index=True
    )
    internship_id: Mapped[int] = mapped_column(
        ForeignKey("internship.id", ondelete="CASCADE"), index=True
    )
    seats: Mapped[int] = mapped_column(Integer, default=0)
    seats_used: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return (
            f"<PartnershipSeat partnership={self.partnership_id} "
            f"internship={self.internship_id} {self.seats_used}/{self.seats}>"
        )
