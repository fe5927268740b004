"""Report packs: the schedules an admin sets and every generated run."""

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, TimestampMixin, utcnow


class ScheduleFrequency(enum.StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    # Once, on the day after the schedule's term ends.
    END_OF_TERM = "end_of_term"


class ReportFormat(enum.StrEnum):
    XLSX = "xlsx"
    PDF = "pdf"


# The formats a schedule can ask for; "both" builds one run per file format.
SCHEDULE_FORMATS = (ReportFormat.XLSX.value, ReportFormat.PDF.value, "both")


class ReportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ReportSchedule(PortalScoped, TimestampMixin, db.Model):
    """When to build a university's report pack; no university means every one."""

    __tablename__ = "report_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int | None] = mapped_column(
        ForeignKey("university.id", ondelete="CASCADE"), index=True
    )
    term_id: Mapped[int | None] = mapped_column(
        ForeignKey("term.id", ondelete="SET NULL"), index=True
    )
    frequency: Mapped[str] = mapped_column(String(20), default=ScheduleFrequency.WEEKLY)
    lang: Mapped[str] = mapped_column(String(8), default="ru")
    # One of SCHEDULE_FORMATS.
    file_format: Mapped[str] = mapped_column(String(8), default=ReportFormat.XLSX)
    # Post the pack to the university's company timeline in Bitrix24.
    attach_to_crm: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    next_run_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=utcnow, index=True
    )
    last_run_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # The failure of a run from the latest batch, cleared when the next batch starts.
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_by_user_id: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        return (
            f"<ReportSchedule {self.id} portal={self.portal_id} "
            f"uni={self.university_id} {self.frequency}>"
        )

    def formats(self) -> list[str]:
        """Return the file formats each batch of this schedule builds."""
        if self.file_format == "both":
            return [ReportFormat.XLSX.value, ReportFormat.PDF.value]
        return [self.file_format]

    @property
    def has_finished(self) -> bool:
        """Whether the schedule ran its only run (an end-of-term schedule)."""
        return (
            self.frequency == ScheduleFrequency.END_OF_TERM
            and self.last_run_at is not None
        )


class ReportRun(PortalScoped, db.Model):
    """One report pack: its parameters, progress, result file or error."""

    __tablename__ = "report_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    university_id: Mapped[int | None] = mapped_column(
        ForeignKey("university.id", ondelete="SET NULL"), index=True
    )
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("report_schedule.id", ondelete="SET NULL"), index=True
    )
    # The filters (Filters.to_dict), language and options the pack was built with.
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(
        String(20), default=ReportStatus.QUEUED, index=True
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)
    job_id: Mapped[str | None] = mapped_column(String(64))
    # Relative to the instance folder: reports/<portal>/<file>.
    file_path: Mapped[str | None] = mapped_column(String(500))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    requested_by_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=utcnow, index=True
    )
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    def __repr__(self) -> str:
        return f"<ReportRun {self.id} portal={self.portal_id} {self.status}>"

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.SUCCEEDED, ReportStatus.FAILED)
