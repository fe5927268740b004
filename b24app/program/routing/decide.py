"""The routing decision as a pure function of `RoutingInputs`.

The engine gathers the inputs from the database, calls `decide()`, and writes the
result; replay calls `decide()` again on the stored inputs.
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from b24app.program.routing.assignment import assign
from b24app.program.routing.eligibility import check_eligibility
from b24app.program.routing.inputs import InternshipFacts, RoutingInputs
from b24app.program.routing.scoring import score_match

# Stored fields that a replay must reproduce for the outcome to count as the same.
COMPARED_FIELDS = (
    "accepted",
    "reason_code",
    "internship_id",
    "score",
    "rule_id",
    "assignee_user_id",
    "assigned_via",
)


@dataclass
class Decision:
    accepted: bool
    reason_code: str
    internship_id: int | None = None
    score: float = 0.0
    score_parts: dict[str, float] = field(default_factory=dict)
    rule_id: int | None = None
    rule_name: str | None = None
    strategy: str | None = None
    assignee_user_id: int | None = None
    assigned_via: str | None = None
    cursor_index: int | None = None
    matched_conditions: list[str] = field(default_factory=list)
    seats_left: int | None = None
    seats_total: int | None = None
    internships_considered: list[dict[str, Any]] = field(default_factory=list)
    rules_considered: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(inputs: RoutingInputs) -> Decision:
    """Pick the internship, check it, score it and choose the recruiter."""
    if inputs.rejection_code or inputs.student is None:
        return Decision(False, inputs.rejection_code or "invalid_request")

    now = datetime.fromisoformat(inputs.now)
    considered = []
    for internship in inputs.internships:
        reason = check_eligibility(inputs.student, internship, now)
        score, parts = score_match(inputs.student, internship)
        considered.append((internship, reason, score, parts))
    summary = [
        {"id": item.id, "title": item.title, "score": score, "reason_code": reason}
        for item, reason, score, _ in considered
    ]

    eligible = [entry for entry in considered if entry[1] is None]
    if not eligible:
        return Decision(
            False,
            _rejection_reason(inputs, considered),
            internship_id=_only_id(inputs),
            internships_considered=summary,
        )

    internship, _, score, parts = min(eligible, key=_preference)
    assignment = assign(inputs, internship, score)
    return Decision(
        accepted=True,
        reason_code="routed",
        internship_id=internship.id,
        score=score,
        score_parts=parts,
        rule_id=assignment.rule_id,
        rule_name=assignment.rule_name,
        strategy=assignment.strategy,
        assignee_user_id=assignment.assignee_user_id,
        assigned_via=assignment.via,
        cursor_index=assignment.cursor_index,
        matched_conditions=assignment.matched_conditions,
        seats_left=internship.seats_left,
        seats_total=internship.seats_total,
        internships_considered=summary,
        rules_considered=assignment.rules_considered,
    )


def _preference(entry: tuple[InternshipFacts, str | None, float, dict]) -> tuple:
    """Higher score first, then the window that closes first, then the lower id."""
    internship, _, score, _ = entry
    closes = internship.closes_at or "9999-12-31T23:59:59+00:00"
    return (-score, datetime.fromisoformat(closes), internship.id)


def _rejection_reason(inputs: RoutingInputs, considered: list[tuple]) -> str:
    if inputs.requested_internship_id is not None and considered:
        return considered[0][1]
    reasons = {reason for _, reason, _, _ in considered}
    # One shared reason (the student is over the cap, frozen...) tells the
    # student more than "no open internship".
    if len(reasons) == 1:
        return reasons.pop()
    return "no_open_internship"


def _only_id(inputs: RoutingInputs) -> int | None:
    if inputs.requested_internship_id is not None:
        return inputs.requested_internship_id
    return None
