"""Applications (deals in the CRM "Applications" pipeline) and their history."""

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, TimestampMixin, utcnow


class ApplicationStage(enum.StrEnum):
    NEW = "new"
    SCREENING = "screening"
    INTERVIEW = "interview"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


# Stages that count toward a student's cap and a recruiter's load.
ACTIVE_STAGES = (
    ApplicationStage.NEW,
    ApplicationStage.SCREENING,
    ApplicationStage.INTERVIEW,
    ApplicationStage.OFFER,
)
# Stages that keep a partnership seat taken.
SEAT_HOLDING_STAGES = (*ACTIVE_STAGES, ApplicationStage.HIRED)
# Rows the one-application-per-internship rule covers: all but withdrawn ones.
OPEN_PAIR_CONDITION = "stage <> 'withdrawn'"


class Application(PortalScoped, TimestampMixin, db.Model):
    """One student's application to one internship.

    A student has at most one application to an internship that is not withdrawn:
    the partial unique index stops a second row even when two requests race. After
    a withdrawal the student may apply again, and the new application is a new row.
    """

    __tablename__ = "application"
    __table_args__ = (
        Index(
            "uq_application_open_pair",
            "portal_id",
            "internship_id",
            "student_id",
            unique=True,
            postgresql_where=text(OPEN_PAIR_CONDITION),
            sqlite_where=text(OPEN_PAIR_CONDITION),
        ),
        UniqueConstraint("portal_id", "bitrix_id"),
        # The applications list filters by stage; an internship's tab orders its
        # applicants by score.
        Index("ix_application_portal_stage_id", "portal_id", "stage", "id"),
        Index(
            "ix_application_internship_score",
            "internship_id",
            text("score DESC"),
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bitrix_id: Mapped[int | None] = mapped_column(Integer, index=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("student.id", ondelete="CASCADE"), index=True
    )
    internship_id: Mapped[int] = mapped_column(
        ForeignKey("internship.id", ondelete="CASCADE"), index=True
    )
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employer.id", ondelete="CASCADE"), index=True
    )
    university_id: Mapped[int | None] = mapped_column(
        ForeignKey("university.id", ondelete="SET NULL"), index=True
    )
    term_id: Mapped[int | None] = mapped_column(
        ForeignKey("term.id", ondelete="SET NULL"), index=True
    )
    # The partnership whose seat this application holds, if any.
    partnership_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership.id", ondelete="SET NULL"), index=True
    )
    stage: Mapped[str] = mapped_column(
        String(20), default=ApplicationStage.NEW, index=True
    )
    rejection_reason: Mapped[str] = mapped_column(String(255), default="")
    assigned_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source: Mapped[str] = mapped_column(String(20), default="form")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    # use_alter breaks the application <-> routing_decision foreign key cycle.
    routing_decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("routing_decision.id", ondelete="SET NULL", use_alter=True)
    )

    def __repr__(self) -> str:
        return (
            f"<Application {self.id} student={self.student_id} "
            f"internship={self.internship_id} {self.stage}>"
        )


class ApplicationStageChange(PortalScoped, db.Model):
    """One move of an application between stages."""

    __tablename__ = "application_stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=utcnow, index=True
    )
    changed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(255), default="")

    def __repr__(self) -> str:
        return (
            f"<ApplicationStageChange {self.application_id} "
            f"{self.from_stage}->{self.to_stage}>"
        )


class ApplicationAttempt(PortalScoped, db.Model):
    """Every submission, accepted or rejected, with the request as it arrived."""

    __tablename__ = "application_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=utcnow, index=True
    )
    source: Mapped[str] = mapped_column(String(20), default="form")
    accepted: Mapped[bool] = mapped_column(default=False)
    reason_code: Mapped[str] = mapped_column(String(40), index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    request: Mapped[dict] = mapped_column(JSON, default=dict)
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("student.id", ondelete="SET NULL"), index=True
    )
    internship_id: Mapped[int | None] = mapped_column(
        ForeignKey("internship.id", ondelete="SET NULL"), index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"), index=True
    )
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("routing_decision.id", ondelete="SET NULL"), index=True
    )

    def __repr__(self) -> str:
        return f"<ApplicationAttempt {self.id} {self.reason_code}>"
