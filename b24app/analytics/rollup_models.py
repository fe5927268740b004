"""Rollups: the dashboard's figures kept per portal and term as the data changes.

Each counted application summary adds its share to these rows, and a refresh
of the summary takes the old share off before adding the new one
(`b24app.analytics.rollup_writes`). The dashboard of a whole portal or of one
term then reads a few hundred rows instead of every application.

`term_key` is the application's term id, or 0 for applications without a term.
Counts over all terms are sums of the per-term rows, except distinct students:
those are kept once more under `ALL_TERMS`, because a student who applied in
two terms is one student.

`RollupState` records the portals whose rollups are built: only for those do
the rollups equal the summaries (`b24app.analytics.rollup_state`).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped

NO_TERM = 0
ALL_TERMS = -1
# Width of one duration histogram bucket, in seconds.
BUCKET_SECONDS = 3600


def portal_key() -> Any:
    """Map the portal column as the first part of a primary key."""
    return mapped_column(
        Integer, ForeignKey("portal.id", ondelete="CASCADE"), primary_key=True
    )


class FigureCount(PortalScoped, db.Model):
    """Counted applications of one term per value of one dimension.

    Dimensions: stage, source, created_month, furthest_rank, hired_month and
    recruiter_stage, whose key is "<Bitrix24 user id>:<stage>".
    """

    __tablename__ = "figure_count"

    portal_id: Mapped[int] = portal_key()
    term_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<FigureCount {self.term_key} {self.dimension}={self.key}: {self.n}>"


class DurationValue(PortalScoped, db.Model):
    """One duration of a counted application, for exact percentiles.

    Measures: a finished stay in a funnel stage (the stage's name) and
    "time_to_hire". A percentile is found by locating its rank's bucket in
    `DurationBucket` and reading the few values of that bucket in order.
    There is no foreign key to the application: the rows are the record of
    what the application added to the histogram, so only a refresh may
    remove them.
    """

    __tablename__ = "duration_value"
    __table_args__ = (
        Index(
            "ix_duration_value_rank",
            "portal_id",
            "measure",
            "bucket",
            "seconds",
            postgresql_include=["term_key"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: `ix_duration_value_rank` starts with it.
    portal_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("portal.id", ondelete="CASCADE")
    )
    application_id: Mapped[int] = mapped_column(Integer, index=True)
    term_key: Mapped[int] = mapped_column(Integer)
    measure: Mapped[str] = mapped_column(String(20))
    # floor(seconds / BUCKET_SECONDS), computed in SQL when the row is written.
    bucket: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)

    def __repr__(self) -> str:
        return f"<DurationValue {self.application_id} {self.measure} {self.seconds}s>"


class DurationBucket(PortalScoped, db.Model):
    """How many durations of one measure and term fall in one bucket."""

    __tablename__ = "duration_bucket"

    portal_id: Mapped[int] = portal_key()
    term_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return (
            f"<DurationBucket {self.term_key} {self.measure} {self.bucket}: {self.n}>"
        )


class StudentCount(PortalScoped, db.Model):
    """A student's counted applications to one university in one term (or all).

    A row whose `applications` drops to 0 is deleted.
    """

    __tablename__ = "student_count"

    portal_id: Mapped[int] = portal_key()
    term_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    university_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applications: Mapped[int] = mapped_column(Integer, default=0)
    # Of those, the applications that place the student.
    placed: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return (
            f"<StudentCount {self.term_key} u={self.university_id} "
            f"s={self.student_id}: {self.applications}/{self.placed}>"
        )


class UniversityCount(PortalScoped, db.Model):
    """Counted applications, applying students and placed students per university."""

    __tablename__ = "university_count"

    portal_id: Mapped[int] = portal_key()
    term_key: Mapped[int] = mapped_column(Integer, primary_key=True)
    university_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applications: Mapped[int] = mapped_column(Integer, default=0)
    students: Mapped[int] = mapped_column(Integer, default=0)
    placed_students: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return (
            f"<UniversityCount {self.term_key} u={self.university_id}: "
            f"{self.applications}/{self.students}/{self.placed_students}>"
        )


class RollupState(PortalScoped, db.Model):
    """Marks a portal whose rollups are built; without a row they are not."""

    __tablename__ = "rollup_state"

    portal_id: Mapped[int] = portal_key()
    built_at: Mapped[datetime] = mapped_column(AwareDateTime())

    def __repr__(self) -> str:
        return f"<RollupState portal={self.portal_id} built {self.built_at}>"
