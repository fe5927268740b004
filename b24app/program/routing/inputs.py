"""The facts one routing run decides on, serializable to JSON for replay."""

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class StudentFacts:
    id: int
    university_id: int | None
    course: int | None
    programme: str
    skills: list[str]
    frozen: bool
    placed: bool
    # True when the student's university was deleted in the CRM. Decisions
    # stored before this field existed replay with False.
    university_deleted: bool = False


@dataclass(frozen=True)
class InternshipFacts:
    """One candidate internship, with the term and seat state seen for this student.

    Datetimes are ISO 8601 strings so the facts survive a JSON round trip unchanged.
    `seat_scope` is "internship" when the partnership sets seats aside for this
    internship, "term" when the partnership's total applies, None without one.
    """

    id: int
    title: str
    employer_id: int
    status: str
    opens_at: str | None
    closes_at: str | None
    required_skills: list[str]
    programmes: list[str]
    min_course: int | None
    max_course: int | None
    open_to_all: bool
    university_ids: list[int]
    already_applied: bool
    term_id: int | None
    term_cap: int | None
    term_active_count: int
    term_freeze_placed: bool
    partnership_id: int | None
    seat_scope: str | None
    seats_total: int | None
    seats_left: int | None
    responsible_user_id: int | None
    # A deleted employer's internships take no applications.
    employer_deleted: bool = False


@dataclass(frozen=True)
class RuleFacts:
    id: int
    name: str
    position: int
    is_default: bool
    conditions: dict[str, Any]
    strategy: str
    user_pool: list[int]
    fixed_user_id: int | None
    cursor_last_index: int


@dataclass
class RoutingInputs:
    """Everything `decide()` reads; stored on the RoutingDecision row."""

    now: str
    lang: str
    source: str
    pipeline: str | None
    requested_internship_id: int | None
    requested_employer_id: int | None
    requested_programme: str | None
    student: StudentFacts | None
    internships: list[InternshipFacts] = field(default_factory=list)
    rules: list[RuleFacts] = field(default_factory=list)
    inactive_user_ids: list[int] = field(default_factory=list)
    # Open applications per Bitrix24 user id; keys are strings to match JSON.
    open_loads: dict[str, int] = field(default_factory=dict)
    fallback_user_id: int | None = None
    # Set when the request was rejected before any internship could be read.
    rejection_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RoutingInputs":
        values = dict(data)
        student = values.pop("student")
        values["student"] = StudentFacts(**student) if student else None
        values["internships"] = [
            InternshipFacts(**item) for item in values.pop("internships", [])
        ]
        values["rules"] = [RuleFacts(**item) for item in values.pop("rules", [])]
        return cls(**values)
