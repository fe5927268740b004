"""Students: one row per person, mirrored to a CRM contact."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import db
from b24app.tenancy.models import PortalScoped, TimestampMixin, utcnow


class Student(PortalScoped, TimestampMixin, db.Model):
    """A student; identity is (university, student number), then e-mail, then phone.

    The unique constraints back the identity resolver when two requests for the
    same new person arrive at once.
    """

    __tablename__ = "student"
    __table_args__ = (
        UniqueConstraint("portal_id", "bitrix_id"),
        UniqueConstraint("portal_id", "university_id", "student_number"),
        UniqueConstraint("portal_id", "email_normalized"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bitrix_id: Mapped[int | None] = mapped_column(Integer, index=True)
    university_id: Mapped[int | None] = mapped_column(
        ForeignKey("university.id", ondelete="SET NULL"), index=True
    )
    student_number: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(120), default="")
    last_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    email_normalized: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    # Digits only, country code first ("79161234567").
    phone_normalized: Mapped[str | None] = mapped_column(String(20), index=True)
    course: Mapped[int | None] = mapped_column(Integer)
    programme: Mapped[str] = mapped_column(String(255), default="")
    # Canonical skill names (see program.skills), sorted and unique.
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    consent_text: Mapped[str | None] = mapped_column(Text)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    placed: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20), default="form")
    # When the newest profile data was observed; older data only fills blanks.
    profile_observed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    def __repr__(self) -> str:
        return f"<Student {self.id} portal={self.portal_id} uni={self.university_id}>"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)
