"""Terms: the academic cycle that sets windows, caps and freezing."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, TimestampMixin


class Term(PortalScoped, TimestampMixin, db.Model):
    """An internship term, such as "Summer 2027"."""

    __tablename__ = "term"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # The window used for internships of this term that have none of their own.
    applications_open_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    applications_close_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # Maximum active applications per student in this term; None means no cap.
    max_active_applications: Mapped[int | None] = mapped_column(Integer)
    # The application stage at which a student counts as placed: "offer" or "hired".
    placed_at_stage: Mapped[str] = mapped_column(String(20), default="hired")
    freeze_placed: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<Term {self.id} {self.name!r} portal={self.portal_id}>"
