"""Template contexts of the card tabs, shared by the frame views and the fragments."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from b24app.extensions import db
from b24app.placements import listing, queries
from b24app.placements.actions import rejection_reasons
from b24app.placements.blueprint import lenient_id
from b24app.placements.recommend import recommend
from b24app.program.models import (
    Application,
    ApplicationStage,
    Employer,
    Internship,
    Student,
    University,
)
from b24app.program.routing.scoring import (
    COURSE_WEIGHT,
    PROGRAMME_WEIGHT,
    SKILLS_WEIGHT,
)
from b24app.tenancy.scoping import get_scoped
from b24app.web.session import current_session

STAGES = [stage.value for stage in ApplicationStage]
SCORE_WEIGHTS = {
    "skills": SKILLS_WEIGHT,
    "course": COURSE_WEIGHT,
    "programme": PROGRAMME_WEIGHT,
}


def action_context() -> dict[str, Any]:
    """Return what the per-application action forms need."""
    return {
        "stages": STAGES,
        "reasons": rejection_reasons(current_session().lang),
    }


def applicant_filters(portal_id: int, values: Any) -> dict[str, Any]:
    """Return the applicant filters of a request: a known stage and a university id.

    An unknown stage or an invalid university id is ignored.
    """
    stage = values.get("stage") or None
    return {
        "stage": stage if stage in STAGES else None,
        "university_id": lenient_id(values.get("university_id"), "university_id"),
    }


def internship_context(
    internship: Internship, filters: dict[str, Any], page_number: int
) -> dict[str, Any]:
    """Return the internship deal tab: facts, seats, filtered applicants."""
    portal_id = internship.portal_id
    filters = {"stage": None, "university_id": None, **filters}
    applicants = listing.applications(
        portal_id, page_number, by_score=True, internship_id=internship.id, **filters
    )
    application_ids = [row.application.id for row in applicants.items]
    university_ids = set(
        db.session.execute(
            select(Application.university_id)
            .where(Application.portal_id == portal_id)
            .where(Application.internship_id == internship.id)
            .where(Application.university_id.is_not(None))
            .distinct()
        ).scalars()
    )
    return {
        "internship": internship,
        "employer": get_scoped(Employer, portal_id, id=internship.employer_id),
        "applicants": applicants,
        "filters": filters,
        "filter_universities": queries.university_names(portal_id, university_ids),
        "seats": queries.internship_seats(portal_id, internship),
        "pending": queries.pending_changes(portal_id, application_ids=application_ids),
        **action_context(),
    }


def application_context(application: Application) -> dict[str, Any]:
    """Return the application deal tab: student, match, decisions, history."""
    portal_id = application.portal_id
    row = queries.load_application_row(portal_id, application)
    university = None
    if application.university_id is not None:
        university = get_scoped(University, portal_id, id=application.university_id)
    decisions = queries.decision_history(portal_id, application.id)
    return {
        "row": row,
        "university": university,
        "decisions": decisions,
        "score_parts": score_parts(row, decisions),
        "weights": SCORE_WEIGHTS,
        "history": queries.stage_history(portal_id, application.id),
        "pending": queries.pending_changes(portal_id, application_ids=[application.id]),
        **action_context(),
    }


def score_parts(row: listing.ApplicationRow, decisions: list) -> dict[str, float]:
    """Return the weighted score parts of the decision the application follows."""
    current = row.decision or (decisions[0] if decisions else None)
    if current is None:
        return {}
    return dict((current.outcome or {}).get("score_parts") or {})


def student_context(student: Student, outcome: Any = None) -> dict[str, Any]:
    """Return what the contact tab and its fragments show for `student`."""
    portal_id = student.portal_id
    university = None
    if student.university_id is not None:
        university = get_scoped(University, portal_id, id=student.university_id)
    applications = listing.application_rows(portal_id, student_id=student.id)
    application_ids = [row.application.id for row in applications]
    applied = {row.application.internship_id for row in applications}
    candidates = queries.recommendation_candidates(portal_id, student.skills or [])
    internships = queries.open_internships(portal_id)
    return {
        "student": student,
        "university": university,
        "applications": applications,
        "internships": [item for item in internships if item.id not in applied],
        "recommendations": recommend(student, candidates, applied),
        "pending": queries.pending_changes(portal_id, [student.id], application_ids),
        "outcome": outcome,
    }


def university_context(university: University, page_number: int = 1) -> dict:
    portal_id = university.portal_id
    return {
        "kind": "university",
        "organization": university,
        "stats": queries.university_stats(portal_id, university),
        "partnerships": queries.partnerships_of(portal_id, university_id=university.id),
        "students": listing.students(
            portal_id, "", page_number, university_id=university.id
        ),
    }


def employer_context(employer: Employer, page_number: int = 1) -> dict:
    portal_id = employer.portal_id
    return {
        "kind": "employer",
        "organization": employer,
        "stats": queries.employer_stats(portal_id, employer),
        "partnerships": queries.partnerships_of(portal_id, employer_id=employer.id),
        "internships": listing.internships(
            portal_id, "", page_number, employer_id=employer.id
        ),
        "funnel": queries.stage_counts(
            portal_id, Application.employer_id == employer.id
        ),
    }
