"""Choice of the recruiter: ordered rules, then default rules, then fallbacks."""

from dataclasses import dataclass, field
from typing import Any

from b24app.program.routing.inputs import InternshipFacts, RoutingInputs, RuleFacts


@dataclass
class Assignment:
    """The chosen assignee of an application and the reason for the choice.

    `via` is "rule", "default_rule", "internship_owner", "portal_fallback" or
    "unassigned". `cursor_index` is the rule's new round-robin position.
    """

    via: str
    assignee_user_id: int | None = None
    rule_id: int | None = None
    rule_name: str | None = None
    strategy: str | None = None
    cursor_index: int | None = None
    matched_conditions: list[str] = field(default_factory=list)
    rules_considered: list[dict[str, Any]] = field(default_factory=list)


def assign(
    inputs: RoutingInputs, internship: InternshipFacts, score: float
) -> Assignment:
    """Apply the rules in order; the first that matches and has a user wins."""
    considered: list[dict[str, Any]] = []
    ordered = sorted(inputs.rules, key=lambda rule: (rule.position, rule.id))

    for rule in [rule for rule in ordered if not rule.is_default]:
        failed, matched = match_conditions(rule, inputs, internship, score)
        if failed:
            considered.append(_considered(rule, "conditions_not_met", failed))
            continue
        assignment = _assign_by_rule(rule, inputs, "rule", matched, considered)
        if assignment is not None:
            return assignment

    for rule in [rule for rule in ordered if rule.is_default]:
        assignment = _assign_by_rule(rule, inputs, "default_rule", [], considered)
        if assignment is not None:
            return assignment

    return _fallback(inputs, internship, considered)


def match_conditions(
    rule: RuleFacts, inputs: RoutingInputs, internship: InternshipFacts, score: float
) -> tuple[list[str], list[str]]:
    """Return the names of the failed and the matched conditions of `rule`."""
    student = inputs.student
    conditions = rule.conditions or {}
    checks = {
        "university_ids": lambda ids: student.university_id in ids,
        "employer_ids": lambda ids: internship.employer_id in ids,
        "internship_ids": lambda ids: internship.id in ids,
        "pipelines": lambda names: inputs.pipeline in names,
        "sources": lambda names: inputs.source in names,
        "skills_any": lambda skills: bool(set(skills) & set(student.skills)),
        "score_min": lambda low: score >= float(low),
        "score_max": lambda high: score <= float(high),
    }
    failed, matched = [], []
    for name, check in checks.items():
        value = conditions.get(name)
        if value in (None, [], ""):
            continue
        (matched if check(value) else failed).append(name)
    return failed, matched


def _assign_by_rule(
    rule: RuleFacts,
    inputs: RoutingInputs,
    via: str,
    matched: list[str],
    considered: list[dict[str, Any]],
) -> Assignment | None:
    user_id, cursor_index = pick_user(rule, inputs)
    if user_id is None:
        considered.append(_considered(rule, "no_active_user", []))
        return None

    considered.append(_considered(rule, "fired", []))
    return Assignment(
        via=via,
        assignee_user_id=user_id,
        rule_id=rule.id,
        rule_name=rule.name,
        strategy=rule.strategy,
        cursor_index=cursor_index,
        matched_conditions=matched,
        rules_considered=considered,
    )


def pick_user(rule: RuleFacts, inputs: RoutingInputs) -> tuple[int | None, int | None]:
    """Return the user the rule's strategy picks and the new round-robin index."""
    inactive = set(inputs.inactive_user_ids)
    if rule.strategy == "fixed":
        user_id = rule.fixed_user_id
        if user_id is None or user_id in inactive:
            return None, None
        return user_id, None

    pool = list(rule.user_pool)
    if rule.strategy == "round_robin":
        for step in range(1, len(pool) + 1):
            index = (rule.cursor_last_index + step) % len(pool)
            if pool[index] not in inactive:
                return pool[index], index
        return None, None

    # least_loaded: the minimum of open applications. The earlier pool entry wins a tie.
    candidates = [
        (inputs.open_loads.get(str(user_id), 0), position, user_id)
        for position, user_id in enumerate(pool)
        if user_id not in inactive
    ]
    if not candidates:
        return None, None
    return min(candidates)[2], None


def _fallback(
    inputs: RoutingInputs,
    internship: InternshipFacts,
    considered: list[dict[str, Any]],
) -> Assignment:
    """No rule applies: the internship's responsible user, then the portal's."""
    inactive = set(inputs.inactive_user_ids)
    owner = internship.responsible_user_id
    if owner is not None and owner not in inactive:
        return Assignment("internship_owner", owner, rules_considered=considered)
    fallback = inputs.fallback_user_id
    if fallback is not None and fallback not in inactive:
        return Assignment("portal_fallback", fallback, rules_considered=considered)
    return Assignment("unassigned", rules_considered=considered)


def _considered(rule: RuleFacts, result: str, failed: list[str]) -> dict[str, Any]:
    return {"id": rule.id, "name": rule.name, "result": result, "failed": failed}
