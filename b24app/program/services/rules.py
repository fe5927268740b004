"""Routing rules: create, update, delete and reorder."""

import logging
from typing import Any

from sqlalchemy import func, select

from b24app.extensions import db
from b24app.program.errors import ProgramError
from b24app.program.models import (
    Employer,
    Internship,
    RoutingCursor,
    RoutingRule,
    RoutingStrategy,
    University,
)
from b24app.program.services.checks import load, require_ids
from b24app.program.skills import load_alias_map, normalize_skills
from b24app.tenancy.scoping import scoped

log = logging.getLogger(__name__)

RULE_FIELDS = (
    "name",
    "active",
    "is_default",
    "conditions",
    "strategy",
    "user_pool",
    "fixed_user_id",
)
ID_CONDITIONS = {
    "university_ids": University,
    "employer_ids": Employer,
    "internship_ids": Internship,
}
TEXT_CONDITIONS = ("pipelines", "sources")


def list_rules(portal_id: int) -> list[RoutingRule]:
    """Load the portal's rules in the order the engine tries them, defaults last."""
    statement = scoped(RoutingRule, portal_id).order_by(
        RoutingRule.is_default, RoutingRule.position, RoutingRule.id
    )
    return list(db.session.execute(statement).scalars())


def create_rule(portal_id: int, name: str, **fields: Any) -> RoutingRule:
    """Add a rule after the existing ones; `fields` are the other RULE_FIELDS."""
    _reject_unknown(fields)
    values = {"strategy": RoutingStrategy.FIXED, "conditions": {}, "user_pool": []}
    values.update(fields, name=name)
    _validate(portal_id, values)

    last = db.session.execute(
        select(func.max(RoutingRule.position)).where(RoutingRule.portal_id == portal_id)
    ).scalar()
    rule = RoutingRule(portal_id=portal_id, position=(last or 0) + 1, **values)
    db.session.add(rule)
    db.session.commit()
    log.info("portal %s: created routing rule %s %r", portal_id, rule.id, name)
    return rule


def update_rule(portal_id: int, rule_id: int, **changes: Any) -> RoutingRule:
    """Change some RULE_FIELDS; a new strategy or pool restarts the round robin."""
    _reject_unknown(changes)
    rule = load(RoutingRule, portal_id, rule_id)
    values = {name: getattr(rule, name) for name in RULE_FIELDS}
    values.update(changes)
    _validate(portal_id, values)

    restart = values["strategy"] != rule.strategy or list(values["user_pool"]) != list(
        rule.user_pool or []
    )
    for name, value in values.items():
        setattr(rule, name, value)
    if restart:
        cursor = db.session.execute(
            scoped(RoutingCursor, portal_id).filter_by(rule_id=rule.id)
        ).scalar_one_or_none()
        if cursor is not None:
            cursor.last_index = -1
    db.session.commit()
    return rule


def delete_rule(portal_id: int, rule_id: int) -> None:
    rule = load(RoutingRule, portal_id, rule_id)
    db.session.delete(rule)
    db.session.commit()
    log.info("portal %s: deleted routing rule %s", portal_id, rule_id)


def reorder_rules(portal_id: int, rule_ids: list[int]) -> list[RoutingRule]:
    """Set the order of all the portal's rules; `rule_ids` must list each once."""
    rules = {rule.id: rule for rule in list_rules(portal_id)}
    if sorted(rule_ids) != sorted(rules) or len(set(rule_ids)) != len(rule_ids):
        raise ProgramError(
            f"the new order must list each rule once: got {rule_ids}, "
            f"rules are {sorted(rules)}"
        )
    for position, rule_id in enumerate(rule_ids, start=1):
        rules[rule_id].position = position
    db.session.commit()
    return list_rules(portal_id)


def _reject_unknown(fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - set(RULE_FIELDS))
    if unknown:
        raise ProgramError(f"unknown rule fields: {', '.join(unknown)}")


def _validate(portal_id: int, values: dict[str, Any]) -> None:
    """Check and normalize `values` in place."""
    if not (values.get("name") or "").strip():
        raise ProgramError("a rule needs a name")
    values["name"] = values["name"].strip()[:120]

    strategy = values.get("strategy")
    if strategy not in set(RoutingStrategy):
        raise ProgramError(
            f"unknown strategy {strategy!r}: use fixed, round_robin or least_loaded"
        )
    pool = values.get("user_pool") or []
    try:
        values["user_pool"] = [int(user) for user in pool]
    except (TypeError, ValueError) as error:
        raise ProgramError(
            f"user_pool must list Bitrix24 user ids, got {pool!r}"
        ) from error
    if strategy == RoutingStrategy.FIXED and values.get("fixed_user_id") is None:
        raise ProgramError("the fixed strategy needs fixed_user_id")
    if strategy != RoutingStrategy.FIXED and not values["user_pool"]:
        raise ProgramError(f"the {strategy} strategy needs a non-empty user_pool")

    values["conditions"] = _validated_conditions(
        portal_id, values.get("conditions") or {}
    )


def _validated_conditions(portal_id: int, conditions: dict[str, Any]) -> dict[str, Any]:
    known = {*ID_CONDITIONS, *TEXT_CONDITIONS, "skills_any", "score_min", "score_max"}
    unknown = sorted(set(conditions) - known)
    if unknown:
        raise ProgramError(f"unknown rule conditions: {', '.join(unknown)}")

    result: dict[str, Any] = {}
    for name, model in ID_CONDITIONS.items():
        if conditions.get(name):
            result[name] = require_ids(model, portal_id, conditions[name], name)
    for name in TEXT_CONDITIONS:
        if conditions.get(name):
            result[name] = sorted({str(value) for value in conditions[name]})
    if conditions.get("skills_any"):
        result["skills_any"] = normalize_skills(
            conditions["skills_any"], load_alias_map(portal_id)
        )

    for name in ("score_min", "score_max"):
        value = conditions.get(name)
        if value is None:
            continue
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ProgramError(f"{name} must be a number from 0 to 1, got {value!r}")
        result[name] = float(value)
    if result.get("score_min", 0) > result.get("score_max", 1):
        raise ProgramError("score_min is greater than score_max")
    return result
