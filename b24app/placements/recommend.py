"""Open internships ranked for one student by the routing engine's match score."""

from __future__ import annotations

from dataclasses import dataclass

from b24app.program.models import Internship, Student
from b24app.program.routing.inputs import InternshipFacts, StudentFacts
from b24app.program.routing.scoring import score_match

RECOMMENDED_SHOWN = 5


@dataclass(frozen=True)
class Recommendation:
    """An internship with the student's match score and its weighted parts."""

    internship: Internship
    score: float
    parts: dict[str, float]
    applied: bool


def student_facts(student: Student) -> StudentFacts:
    return StudentFacts(
        id=student.id,
        university_id=student.university_id,
        course=student.course,
        programme=student.programme or "",
        skills=list(student.skills or []),
        frozen=student.frozen,
        placed=student.placed,
    )


def internship_facts(internship: Internship) -> InternshipFacts:
    """Return the facts `score_match` reads; seat and term fields stay empty.

    Scoring uses only skills, courses and programmes, so the seat and window
    checks are left to the engine when the student applies.
    """
    return InternshipFacts(
        id=internship.id,
        title=internship.title,
        employer_id=internship.employer_id,
        status=internship.status,
        opens_at=None,
        closes_at=None,
        required_skills=list(internship.required_skills or []),
        programmes=list(internship.programmes or []),
        min_course=internship.min_course,
        max_course=internship.max_course,
        open_to_all=internship.open_to_all,
        university_ids=[],
        already_applied=False,
        term_id=internship.term_id,
        term_cap=None,
        term_active_count=0,
        term_freeze_placed=False,
        partnership_id=None,
        seat_scope=None,
        seats_total=None,
        seats_left=None,
        responsible_user_id=internship.responsible_user_id,
    )


def recommend(
    student: Student,
    internships: list[Internship],
    applied_ids: set[int],
    limit: int = RECOMMENDED_SHOWN,
) -> list[Recommendation]:
    """Return the best-scoring internships, highest score first, then by title."""
    facts = student_facts(student)
    ranked = []
    for internship in internships:
        score, parts = score_match(facts, internship_facts(internship))
        applied = internship.id in applied_ids
        ranked.append(Recommendation(internship, score, parts, applied))
    ranked.sort(key=lambda item: (item.applied, -item.score, item.internship.title))
    return ranked[:limit]
