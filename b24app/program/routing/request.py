"""Request and result types of the routing engine."""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from b24app.program.identity import StudentData


@dataclass
class ApplicationRequest:
    """One application from any channel.

    With `internship_id` it is an application to that internship. Without it, it
    is a general application: the engine picks the best open internship of
    `employer_id` and/or `programme` (of any open internship when both are empty).
    """

    student: StudentData
    internship_id: int | None = None
    employer_id: int | None = None
    programme: str | None = None
    term_id: int | None = None
    # Channel: form, api, crm, import or card.
    source: str = "form"
    # CRM pipeline the application came through, for rules that match on it.
    pipeline: str | None = None
    # Language of the message to the submitter; the portal's language by default.
    lang: str | None = None
    submitted_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass
class RoutingOutcome:
    """The result of `route_application`; `message` is for the submitter."""

    accepted: bool
    reason_code: str
    message: str
    lang: str
    attempt_id: int
    student_id: int | None = None
    student_created: bool = False
    application_id: int | None = None
    internship_id: int | None = None
    decision_id: int | None = None
    assignee_user_id: int | None = None
    rule_id: int | None = None
    score: float = 0.0
    explanation: str = ""


@dataclass
class ReplayResult:
    """Whether a stored decision comes out the same from its stored inputs."""

    decision_id: int
    same: bool
    # Field name -> [stored value, replayed value] for every field that differs.
    differences: dict[str, list[Any]] = field(default_factory=dict)
    replayed: dict[str, Any] = field(default_factory=dict)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
