"""Students: one row per person, mirrored to a CRM contact."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
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
        # Lists sort students by name within a portal or a university.
        Index("ix_student_portal_name", "portal_id", "last_name", "first_name", "id"),
        Index(
            "ix_student_university_name",
            "university_id",
            "last_name",
            "first_name",
            "id",
        ),
        # Search as you type matches substrings; trigrams make that indexable on
        # PostgreSQL (the pg_trgm extension). SQLite gets a plain index.
        Index(
            "ix_student_search",
            "first_name",
            "last_name",
            "email",
            postgresql_using="gin",
            postgresql_ops={
                "first_name": "gin_trgm_ops",
                "last_name": "gin_trgm_ops",
                "email": "gin_trgm_ops",
            },
        ),
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
    consent_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    placed: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20), default="form")
    # When the newest profile data was observed; older data only fills blanks.
    profile_observed_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=utcnow
    )

    def __repr__(self) -> str:
        return f"<Student {self.id} portal={self.portal_id} uni={self.university_id}>"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)
