"""Read-only loaders for the card tabs: every query is scoped to one portal.

The tabs render from the local mirror only, so a card opens without a REST call
to the portal; data arrives there through event sync.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, func, or_, select

from b24app.extensions import db
from b24app.placements.listing import ApplicationRow, application_rows
from b24app.program.models import (
    ACTIVE_STAGES,
    Application,
    ApplicationStage,
    ApplicationStageChange,
    CrmOutbox,
    Employer,
    Internship,
    OutboxStatus,
    Partnership,
    PartnershipSeat,
    RoutingDecision,
    Student,
    University,
)
from b24app.tenancy.scoping import get_scoped, scoped

# "sending" is the outbound job's status while a write is in flight.
UNSENT_STATUSES = (OutboxStatus.PENDING, "sending")


def find_by_bitrix_id(model: Any, portal_id: int, bitrix_id: int) -> Any:
    """Return the live row of `model` mirrored from CRM record `bitrix_id`."""
    row = get_scoped(model, portal_id, bitrix_id=bitrix_id)
    if row is None or getattr(row, "deleted", False):
        return None
    return row


def load_application_row(portal_id: int, application: Application) -> ApplicationRow:
    """Return `application` with its related rows, all from the same portal."""
    rows = application_rows(portal_id, id=application.id)
    return rows[0]


def decision_history(portal_id: int, application_id: int) -> list[RoutingDecision]:
    """Return every routing decision made for an application, newest first."""
    statement = (
        scoped(RoutingDecision, portal_id)
        .where(RoutingDecision.application_id == application_id)
        .order_by(RoutingDecision.created_at.desc(), RoutingDecision.id.desc())
    )
    return list(db.session.execute(statement).scalars())


def stage_history(portal_id: int, application_id: int) -> list[ApplicationStageChange]:
    """Return the stage moves of an application, newest first."""
    statement = (
        scoped(ApplicationStageChange, portal_id)
        .where(ApplicationStageChange.application_id == application_id)
        .order_by(
            ApplicationStageChange.changed_at.desc(), ApplicationStageChange.id.desc()
        )
    )
    return list(db.session.execute(statement).scalars())


def internship_seats(portal_id: int, internship: Internship) -> list[dict[str, Any]]:
    """Return the employer's partnerships with seats taken, per university.

    `allocated` and `allocated_used` are the seats set aside for this internship,
    or None when the partnership's total applies.
    """
    statement = (
        select(Partnership, University.name, PartnershipSeat)
        .join(
            University,
            and_(
                University.id == Partnership.university_id,
                University.portal_id == portal_id,
            ),
        )
        .outerjoin(
            PartnershipSeat,
            and_(
                PartnershipSeat.partnership_id == Partnership.id,
                PartnershipSeat.internship_id == internship.id,
                PartnershipSeat.portal_id == portal_id,
            ),
        )
        .where(Partnership.portal_id == portal_id)
        .where(Partnership.employer_id == internship.employer_id)
        .order_by(University.name, Partnership.id)
    )
    return [
        {
            "partnership": partnership,
            "university": name,
            "allocated": allocation.seats if allocation else None,
            "allocated_used": allocation.seats_used if allocation else None,
        }
        for partnership, name, allocation in db.session.execute(statement)
    ]


def stage_counts(portal_id: int, *conditions: Any) -> dict[str, int]:
    """Return application counts per stage, every stage present, in funnel order."""
    statement = (
        select(Application.stage, func.count())
        .where(Application.portal_id == portal_id)
        .group_by(Application.stage)
    )
    for condition in conditions:
        statement = statement.where(condition)
    counts = {stage.value: 0 for stage in ApplicationStage}
    counts.update(dict(db.session.execute(statement).all()))
    return counts


def university_names(portal_id: int, ids: set[int]) -> dict[int, str]:
    """Return id -> name of the portal's universities among `ids`."""
    if not ids:
        return {}
    statement = select(University.id, University.name).where(
        University.portal_id == portal_id, University.id.in_(sorted(ids))
    )
    return dict(db.session.execute(statement).all())


def pending_changes(
    portal_id: int,
    student_ids: list[int] = (),
    application_ids: list[int] = (),
) -> list[CrmOutbox]:
    """Return CRM writes about these students and applications not sent yet.

    Outbox rows point at local rows (`student`, `application`), so a tab passes
    the ids of the rows it shows.
    """
    statement = (
        scoped(CrmOutbox, portal_id)
        .where(CrmOutbox.status.in_(UNSENT_STATUSES))
        .where(
            or_(
                (CrmOutbox.entity_type == "student")
                & CrmOutbox.entity_id.in_(list(student_ids)),
                (CrmOutbox.entity_type == "application")
                & CrmOutbox.entity_id.in_(list(application_ids)),
            )
        )
        .order_by(CrmOutbox.id)
    )
    return list(db.session.execute(statement).scalars())


def count(model: Any, portal_id: int, *conditions: Any) -> int:
    """Return how many rows of `model` in the portal match `conditions`."""
    statement = (
        select(func.count()).select_from(model).where(model.portal_id == portal_id)
    )
    for condition in conditions:
        statement = statement.where(condition)
    return db.session.execute(statement).scalar_one()


def university_stats(portal_id: int, university: University) -> dict[str, int]:
    """Return the counts the company tab shows for a university."""
    return {
        "students": count(Student, portal_id, Student.university_id == university.id),
        "applications": count(
            Application, portal_id, Application.university_id == university.id
        ),
        "active": count(
            Application,
            portal_id,
            Application.university_id == university.id,
            Application.stage.in_(ACTIVE_STAGES),
        ),
        "hired": count(
            Application,
            portal_id,
            Application.university_id == university.id,
            Application.stage == "hired",
        ),
        "partnerships": count(
            Partnership, portal_id, Partnership.university_id == university.id
        ),
    }


def employer_stats(portal_id: int, employer: Employer) -> dict[str, int]:
    """Return the counts the company tab shows for an employer."""
    return {
        "internships": count(
            Internship, portal_id, Internship.employer_id == employer.id
        ),
        "applications": count(
            Application, portal_id, Application.employer_id == employer.id
        ),
        "active": count(
            Application,
            portal_id,
            Application.employer_id == employer.id,
            Application.stage.in_(ACTIVE_STAGES),
        ),
        "hired": count(
            Application,
            portal_id,
            Application.employer_id == employer.id,
            Application.stage == "hired",
        ),
        "partnerships": count(
            Partnership, portal_id, Partnership.employer_id == employer.id
        ),
    }


def partnerships_of(portal_id: int, **filters: Any) -> list[tuple[Partnership, tuple]]:
    """Return partnerships matching `filters` with (university, employer) names."""
    statement = (
        select(Partnership, University.name, Employer.name)
        .outerjoin(
            University,
            and_(
                University.id == Partnership.university_id,
                University.portal_id == portal_id,
            ),
        )
        .outerjoin(
            Employer,
            and_(
                Employer.id == Partnership.employer_id, Employer.portal_id == portal_id
            ),
        )
        .where(Partnership.portal_id == portal_id)
        .order_by(Partnership.id)
    )
    for name, value in filters.items():
        statement = statement.where(getattr(Partnership, name) == value)
    return [
        (partnership, (university or "", employer or ""))
        for partnership, university, employer in db.session.execute(statement)
    ]


def open_internships(portal_id: int, limit: int = 100) -> list[Internship]:
    """Return up to `limit` internships that accept applications, by title."""
    statement = (
        scoped(Internship, portal_id)
        .where(Internship.status == "open")
        .order_by(Internship.title, Internship.id)
        .limit(limit)
    )
    return list(db.session.execute(statement).scalars())


def recommendation_candidates(
    portal_id: int, skills: list[str], limit: int = 300
) -> list[Internship]:
    """Return open internships worth scoring for a student with `skills`.

    Internships that require none of the student's skills score at most 0.4
    (course and programme), so only those needing one of them, or nothing,
    are read. The newest `limit` of them are scored.
    """
    # NOTE: past `limit` candidates, a better match among older internships is
    # not shown. The skills are in a JSON column, so SQL cannot rank them.
    required = func.cast(Internship.required_skills, String)
    matching = [required.like(f'%"{skill}"%') for skill in skills if '"' not in skill]
    statement = (
        scoped(Internship, portal_id)
        .where(Internship.status == "open")
        .where(or_(required == "[]", *matching))
        .order_by(Internship.id.desc())
        .limit(limit)
    )
    return list(db.session.execute(statement).scalars())


def overview(portal_id: int) -> dict[str, int]:
    """Return the program totals the app page shows."""
    return {
        "universities": count(University, portal_id, University.deleted.is_(False)),
        "employers": count(Employer, portal_id, Employer.deleted.is_(False)),
        "students": count(Student, portal_id),
        "internships": count(Internship, portal_id, Internship.status == "open"),
        "applications": count(
            Application, portal_id, Application.stage.in_(ACTIVE_STAGES)
        ),
        "hired": count(Application, portal_id, Application.stage == "hired"),
    }


CHOICES_SHOWN = 500


def named_choices(model: Any, portal_id: int, label: str = "name") -> list[tuple]:
    """Return (id, label) rows of a model for a select menu, by label.

    Live rows only; the menu stops at CHOICES_SHOWN rows.
    """
    column = getattr(model, label)
    statement = (
        select(model.id, column)
        .where(model.portal_id == portal_id)
        .order_by(column, model.id)
        .limit(CHOICES_SHOWN)
    )
    if hasattr(model, "deleted"):
        statement = statement.where(model.deleted.is_(False))
    return list(db.session.execute(statement).all())
