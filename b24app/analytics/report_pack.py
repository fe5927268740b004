"""A university's report pack: one XLSX with a summary and detail sheets."""

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select

from b24app.analytics import scope
from b24app.analytics.exports import Column, Table, add_sheet
from b24app.analytics.filters import Filters
from b24app.analytics.organizations import compute_university
from b24app.analytics.tables import (
    FUNNEL_COLUMNS,
    SEAT_COLUMNS,
    metrics_table,
    university_summary,
)
from b24app.extensions import db
from b24app.program.models import (
    ApplicationStageChange,
    Employer,
    Internship,
    Student,
)

# Rows fetched per round trip when streaming detail sheets.
STREAM_BATCH = 2000

Progress = Callable[[int], None]


def build_university_pack(
    portal_id: int,
    university_id: int,
    filters: Filters,
    lang: str,
    report_progress: Progress | None = None,
) -> bytes:
    """Write the pack; `report_progress` receives 0-100 as sheets are done."""
    report_progress = report_progress or (lambda percent: None)
    scoped = filters.narrowed(university_id=university_id)
    figures = compute_university(portal_id, university_id, scoped)

    summary = university_summary(figures, lang)
    summary["generated_at"] = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    summary["filters"] = scoped.cache_key()

    sheets: list[Callable[[], Table]] = [
        lambda: metrics_table("summary", summary, lang),
        lambda: students_table(portal_id, scoped, lang),
        lambda: applications_table(portal_id, scoped, lang),
        lambda: history_table(portal_id, scoped, lang),
        lambda: Table("seats", SEAT_COLUMNS, figures["seats"]),
        lambda: Table("funnel", FUNNEL_COLUMNS, figures["funnel"]),
    ]

    workbook = Workbook(write_only=True)
    for done, make_table in enumerate(sheets, start=1):
        add_sheet(workbook, make_table(), lang)
        report_progress(int(done * 90 / len(sheets)))

    buffer = io.BytesIO()
    workbook.save(buffer)
    report_progress(100)
    return buffer.getvalue()


def students_table(portal_id: int, filters: Filters, lang: str) -> Table:
    """Build the sheet of the university's students and their application counts."""
    apps = scope.applications(portal_id, filters).subquery("apps")
    per_student = (
        select(apps.c.student_id, func.count().label("applications"))
        .group_by(apps.c.student_id)
        .subquery("per_student")
    )
    live = scope.students(portal_id, filters.university_id).subquery("live")
    statement = (
        select(
            Student.last_name,
            Student.first_name,
            Student.email,
            Student.course,
            Student.programme,
            func.coalesce(per_student.c.applications, 0).label("applications"),
            Student.placed,
        )
        .join(live, live.c.id == Student.id)
        .outerjoin(per_student, per_student.c.student_id == Student.id)
        .order_by(Student.last_name, Student.first_name, Student.id)
    )
    rows = (
        {
            "student": " ".join(
                part for part in (row.last_name, row.first_name) if part
            ),
            "email": row.email or "",
            "course": row.course,
            "programme": row.programme,
            "applications": row.applications,
            "placed": 1 if row.placed else 0,
        }
        for row in _stream(statement)
    )
    columns = (
        Column("student"),
        Column("email"),
        Column("course"),
        Column("programme"),
        Column("applications"),
        Column("placed"),
    )
    return Table("students", columns, rows)


def applications_table(portal_id: int, filters: Filters, lang: str) -> Table:
    """Build the sheet of applications in scope with student, internship, stage."""
    apps = scope.applications(portal_id, filters).subquery("apps")
    statement = (
        select(
            apps.c.id,
            Student.last_name,
            Student.first_name,
            Internship.title,
            Employer.name.label("employer"),
            apps.c.stage,
            apps.c.source,
            apps.c.created_at,
        )
        .join(Student, Student.id == apps.c.student_id)
        .join(Internship, Internship.id == apps.c.internship_id)
        .join(Employer, Employer.id == apps.c.employer_id)
        .order_by(apps.c.created_at, apps.c.id)
    )
    rows = (
        {
            "id": row.id,
            "student": " ".join(
                part for part in (row.last_name, row.first_name) if part
            ),
            "internship": row.title,
            "employer": row.employer,
            "stage": row.stage,
            "source": row.source,
            "applied_on": row.created_at,
        }
        for row in _stream(statement)
    )
    columns = (
        Column("id", "applications"),
        Column("student"),
        Column("internship"),
        Column("employer"),
        Column("stage", values=True),
        Column("source", values=True),
        Column("applied_on"),
    )
    return Table("applications", columns, rows)


def history_table(portal_id: int, filters: Filters, lang: str) -> Table:
    """Build the sheet of stage changes of the applications in scope, oldest first."""
    apps = scope.applications(portal_id, filters).subquery("apps")
    change = ApplicationStageChange
    statement = (
        select(change.application_id, change.to_stage, change.changed_at)
        .join(apps, apps.c.id == change.application_id)
        .where(change.portal_id == portal_id)
        .order_by(change.application_id, change.changed_at, change.id)
    )
    rows = (
        {"id": row[0], "stage": row[1], "stage_changed_on": row[2]}
        for row in _stream(statement)
    )
    columns = (
        Column("id", "applications"),
        Column("stage", values=True),
        Column("stage_changed_on"),
    )
    return Table("history", columns, rows)


def _stream(statement: Any) -> Iterator[Any]:
    result = db.session.execute(
        statement, execution_options={"yield_per": STREAM_BATCH}
    )
    yield from result
