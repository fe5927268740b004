"""Whether a student may apply to one internship; returns a reason code or None."""

from datetime import datetime

from b24app.program.routing.inputs import InternshipFacts, StudentFacts


def check_eligibility(
    student: StudentFacts, internship: InternshipFacts, now: datetime
) -> str | None:
    """Return the first rejection reason code, or None when the student may apply."""
    if internship.status != "open" or internship.employer_deleted:
        return "internship_closed"
    if internship.opens_at and now < datetime.fromisoformat(internship.opens_at):
        return "window_not_open"
    if internship.closes_at and now > datetime.fromisoformat(internship.closes_at):
        return "window_closed"
    if internship.already_applied:
        return "duplicate"

    if student.frozen or (internship.term_freeze_placed and student.placed):
        return "student_frozen"
    cap = internship.term_cap
    if cap is not None and internship.term_active_count >= cap:
        return "over_cap"

    if internship.open_to_all:
        return None
    return check_seats(student, internship)


def check_seats(student: StudentFacts, internship: InternshipFacts) -> str | None:
    university_id = student.university_id
    if university_id is None or student.university_deleted:
        return "university_not_eligible"
    if internship.university_ids and university_id not in internship.university_ids:
        return "university_not_eligible"
    if internship.partnership_id is None:
        return "no_partnership"
    if (internship.seats_left or 0) <= 0:
        return "no_seats"
    return None
