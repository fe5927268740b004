"""Per-application summaries: the stage history of each application, pre-computed.

The figures read these rows instead of grouping the whole stage history on
every cache miss. `b24app.analytics.summary` keeps them equal to the history.
"""

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped

# Funnel stages with a column of seconds spent in them; the order is the funnel's.
STAY_STAGES = ("new", "screening", "interview", "offer", "hired")
UNIVERSITY_COLUMNS = [
    "employer_id",
    "bitrix_id",
    "student_id",
    "term_id",
    "stage",
    "furthest_rank",
    "hired_month",
    "seconds_to_offer",
    "seconds_to_hire",
]


class ApplicationSummary(PortalScoped, db.Model):
    """One application's scope columns and its stage history in figures.

    A finished stay is the time from a stage change to the application's next
    stage change. `<stage>_seconds` is the first finished stay in a funnel
    stage; later stays in the same stage are rows of `ApplicationSummaryStay`.
    """

    __tablename__ = "application_summary"
    __table_args__ = (
        # Covers the columns a university's figures read, so PostgreSQL reads
        # them from the index without visiting a heap page per application.
        Index(
            "ix_application_summary_university",
            "portal_id",
            "university_id",
            postgresql_include=UNIVERSITY_COLUMNS,
        ),
        Index("ix_application_summary_employer", "portal_id", "employer_id"),
        Index("ix_application_summary_term", "portal_id", "term_id"),
        Index("ix_application_summary_partnership", "portal_id", "partnership_id"),
    )

    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), primary_key=True
    )
    # Copied from the application, so scope filters need no join.
    bitrix_id: Mapped[int | None] = mapped_column(Integer)
    student_id: Mapped[int] = mapped_column(Integer)
    internship_id: Mapped[int] = mapped_column(Integer)
    employer_id: Mapped[int] = mapped_column(Integer)
    university_id: Mapped[int | None] = mapped_column(Integer)
    term_id: Mapped[int | None] = mapped_column(Integer)
    partnership_id: Mapped[int | None] = mapped_column(Integer)
    assigned_user_id: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    # "YYYY-MM" of `created_at` in UTC.
    created_month: Mapped[str] = mapped_column(String(7))

    # Whether the figures count the application: its employer is not deleted
    # and its deal has no tombstone. Kept so that a refresh can take off
    # exactly what the application added to the rollups.
    counted: Mapped[bool] = mapped_column(Boolean, default=True)
    # Whether the application places its student now: hired, or offered in a
    # term whose placed stage is the offer.
    placed: Mapped[bool] = mapped_column(Boolean, default=False)

    # Funnel position 0 (new) to 4 (hired) of the furthest stage in the history
    # or the current stage, whichever is further.
    furthest_rank: Mapped[int] = mapped_column(Integer, default=0)
    offer_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    hired_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    hired_month: Mapped[str | None] = mapped_column(String(7))
    # From creation to the first offer and the first hire.
    seconds_to_offer: Mapped[float | None] = mapped_column(Float)
    seconds_to_hire: Mapped[float | None] = mapped_column(Float)

    new_seconds: Mapped[float | None] = mapped_column(Float)
    screening_seconds: Mapped[float | None] = mapped_column(Float)
    interview_seconds: Mapped[float | None] = mapped_column(Float)
    offer_seconds: Mapped[float | None] = mapped_column(Float)
    hired_seconds: Mapped[float | None] = mapped_column(Float)

    def __repr__(self) -> str:
        return (
            f"<ApplicationSummary {self.application_id} portal={self.portal_id} "
            f"{self.stage} furthest={self.furthest_rank}>"
        )


class ApplicationSummaryStay(PortalScoped, db.Model):
    """A second or later finished stay of an application in one funnel stage."""

    __tablename__ = "application_summary_stay"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(20))
    seconds: Mapped[float] = mapped_column(Float)

    def __repr__(self) -> str:
        return (
            f"<ApplicationSummaryStay {self.application_id} {self.stage} "
            f"{self.seconds}s>"
        )
