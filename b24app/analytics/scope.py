"""The rows a figure counts: one portal, the filters, and no deleted CRM records.

A CRM record deleted in Bitrix24 leaves a tombstone in the sync ledger
(`sync_record.deleted_at`), and a deleted company sets `deleted` on its
university or employer row. Every figure starts from the selects here, so a
deleted record is left out everywhere or nowhere.
"""

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select

from b24app.analytics.filters import Filters
from b24app.analytics.sql import day_after, day_start
from b24app.analytics.summary_models import STAY_STAGES, ApplicationSummary
from b24app.extensions import db
from b24app.program.models import (
    Application,
    Employer,
    Internship,
    InternshipUniversity,
    Partnership,
    PartnershipStatus,
    Student,
    University,
)
from b24app.sync.models import CrmRecord

# Keeps the tombstone lookups below an index probe however large the ledger is.
TOMBSTONE_INDEX = db.Index(
    "ix_sync_record_tombstone",
    CrmRecord.portal_id,
    CrmRecord.entity_type,
    CrmRecord.bitrix_id,
    postgresql_where=CrmRecord.deleted_at.isnot(None),
    sqlite_where=CrmRecord.deleted_at.isnot(None),
)


def not_tombstoned(model: type, entity_type: str) -> ColumnElement[bool]:
    """Match rows whose CRM record has not been deleted in Bitrix24."""
    tombstone = (
        select(CrmRecord.id)
        .where(
            CrmRecord.portal_id == model.portal_id,
            CrmRecord.entity_type == entity_type,
            CrmRecord.bitrix_id == model.bitrix_id,
            CrmRecord.deleted_at.isnot(None),
        )
        .correlate(model)
    )
    return ~exists(tombstone)


def live_employer(employer_id: ColumnElement) -> ColumnElement[bool]:
    alive = select(Employer.id).where(
        Employer.id == employer_id, Employer.deleted.is_(false())
    )
    return exists(alive)


def applications(portal_id: int, filters: Filters) -> Select:
    """Select the applications in scope, with the columns figures group by."""
    statement = select(
        Application.id,
        Application.student_id,
        Application.internship_id,
        Application.employer_id,
        Application.university_id,
        Application.term_id,
        Application.partnership_id,
        Application.stage,
        Application.source,
        Application.assigned_user_id,
        Application.created_at,
    ).where(
        Application.portal_id == portal_id,
        not_tombstoned(Application, "deal"),
        live_employer(Application.employer_id),
    )
    return statement.where(*application_conditions(filters, Application))


def summaries(portal_id: int, filters: Filters) -> Select:
    """Select the summaries of the applications in scope.

    The columns `applications` selects have the same names here, next to the
    summary's history columns.
    """
    summary = ApplicationSummary
    statement = select(
        summary.application_id.label("id"),
        summary.student_id,
        summary.internship_id,
        summary.employer_id,
        summary.university_id,
        summary.term_id,
        summary.partnership_id,
        summary.stage,
        summary.source,
        summary.assigned_user_id,
        summary.created_at,
        summary.created_month,
        summary.furthest_rank,
        summary.hired_month,
        summary.seconds_to_offer,
        summary.seconds_to_hire,
        *(getattr(summary, f"{stage}_seconds") for stage in STAY_STAGES),
    ).where(
        summary.portal_id == portal_id,
        not_tombstoned(summary, "deal"),
        live_employer(summary.employer_id),
    )
    return statement.where(*application_conditions(filters, summary))


def application_conditions(filters: Filters, model: type) -> list[ColumnElement[bool]]:
    """Build the filter conditions on `model`, Application or ApplicationSummary."""
    conditions = []
    if filters.term_id:
        conditions.append(model.term_id == filters.term_id)
    if filters.university_id:
        conditions.append(model.university_id == filters.university_id)
    if filters.employer_id:
        conditions.append(model.employer_id == filters.employer_id)
    if filters.internship_id:
        conditions.append(model.internship_id == filters.internship_id)
    if filters.date_from:
        conditions.append(model.created_at >= day_start(filters.date_from))
    if filters.date_to:
        conditions.append(model.created_at < day_after(filters.date_to))
    return conditions


def internships(portal_id: int, filters: Filters) -> Select:
    """Select the internships in scope, those offered to the filtered university."""
    statement = select(
        Internship.id,
        Internship.employer_id,
        Internship.term_id,
        Internship.status,
        Internship.seats,
        Internship.open_to_all,
    ).where(
        Internship.portal_id == portal_id,
        not_tombstoned(Internship, "deal"),
        live_employer(Internship.employer_id),
    )

    if filters.term_id:
        statement = statement.where(Internship.term_id == filters.term_id)
    if filters.employer_id:
        statement = statement.where(Internship.employer_id == filters.employer_id)
    if filters.internship_id:
        statement = statement.where(Internship.id == filters.internship_id)
    if filters.university_id:
        statement = statement.where(offered_to(filters.university_id))

    started = func.coalesce(Internship.starts_on, func.date(Internship.created_at))
    if filters.date_from:
        statement = statement.where(started >= filters.date_from)
    if filters.date_to:
        statement = statement.where(started <= filters.date_to)
    return statement


def offered_to(university_id: int) -> ColumnElement[bool]:
    """Match internships linked to one university through `internship_university`."""
    link = select(InternshipUniversity.id).where(
        InternshipUniversity.internship_id == Internship.id,
        InternshipUniversity.university_id == university_id,
    )
    return exists(link)


def students(portal_id: int, university_id: int | None = None) -> Select:
    statement = select(Student.id, Student.university_id).where(
        Student.portal_id == portal_id, not_tombstoned(Student, "contact")
    )
    if university_id:
        statement = statement.where(Student.university_id == university_id)
    return statement


def universities(portal_id: int) -> Select:
    return select(University.id, University.name).where(
        University.portal_id == portal_id, University.deleted.is_(false())
    )


def partnerships(portal_id: int, filters: Filters) -> Select:
    """Select the partnerships of the term, or covering part of the date range."""
    statement = select(
        Partnership.id,
        Partnership.university_id,
        Partnership.employer_id,
        Partnership.seats_total,
        Partnership.status,
    ).where(
        Partnership.portal_id == portal_id,
        live_employer(Partnership.employer_id),
        Partnership.status != PartnershipStatus.DRAFT,
    )

    if filters.term_id:
        statement = statement.where(Partnership.term_id == filters.term_id)
    if filters.university_id:
        statement = statement.where(Partnership.university_id == filters.university_id)
    if filters.employer_id:
        statement = statement.where(Partnership.employer_id == filters.employer_id)
    if filters.date_from:
        statement = statement.where(
            or_(Partnership.ends_on.is_(None), Partnership.ends_on >= filters.date_from)
        )
    if filters.date_to:
        statement = statement.where(
            or_(
                Partnership.starts_on.is_(None),
                Partnership.starts_on <= filters.date_to,
            )
        )
    return statement


def live_university_ids(portal_id: int) -> Select:
    return select(University.id).where(
        and_(University.portal_id == portal_id, University.deleted.is_(false()))
    )
