"""Match score of a student for an internship: skills, course and programme."""

from b24app.program.normalize import normalize_text
from b24app.program.routing.inputs import InternshipFacts, StudentFacts

# Weights of the score parts; they add up to 1, so a score lies in 0..1.
SKILLS_WEIGHT = 0.6
COURSE_WEIGHT = 0.2
PROGRAMME_WEIGHT = 0.2


def score_match(
    student: StudentFacts, internship: InternshipFacts
) -> tuple[float, dict[str, float]]:
    """Return the total score and its weighted parts, each rounded to 4 places."""
    parts = {
        "skills": round(SKILLS_WEIGHT * skills_fit(student, internship), 4),
        "course": round(COURSE_WEIGHT * course_fit(student, internship), 4),
        "programme": round(PROGRAMME_WEIGHT * programme_fit(student, internship), 4),
    }
    return round(sum(parts.values()), 4), parts


def skills_fit(student: StudentFacts, internship: InternshipFacts) -> float:
    """Share of the required skills the student has; 1 when nothing is required.

    Stored skills are canonical already. Folding case again here keeps rows
    written before that rule matching too.
    """
    required = {normalize_text(skill) for skill in internship.required_skills}
    required.discard("")
    if not required:
        return 1.0
    owned = {normalize_text(skill) for skill in student.skills}
    return len(required & owned) / len(required)


def course_fit(student: StudentFacts, internship: InternshipFacts) -> float:
    """1 inside the internship's course range (or without one), else 0."""
    low, high = internship.min_course, internship.max_course
    if low is None and high is None:
        return 1.0
    if student.course is None:
        return 0.0
    if low is not None and student.course < low:
        return 0.0
    if high is not None and student.course > high:
        return 0.0
    return 1.0


def programme_fit(student: StudentFacts, internship: InternshipFacts) -> float:
    """1 for a listed programme, else the best word overlap (Jaccard) with one."""
    if not internship.programmes:
        return 1.0
    mine = normalize_text(student.programme)
    if not mine:
        return 0.0

    my_words = set(mine.split())
    best = 0.0
    for programme in internship.programmes:
        theirs = normalize_text(programme)
        if theirs == mine:
            return 1.0
        words = set(theirs.split())
        if words:
            best = max(best, len(my_words & words) / len(my_words | words))
    return best
