"""Routing explanations in the reader's language, rendered from the stored parts.

The CRM timeline keeps the text written at routing time in the portal's
language. Pages render `RoutingDecision.explanation_parts` with gettext, so
the same decision reads in Russian for one user and in English for another.
Decisions stored before parts existed show their stored text.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from b24app.program.messages import submitter_message
from b24app.program.models import RoutingDecision

CONDITION_REASONS = {
    "university_ids": _l("the university matches"),
    "employer_ids": _l("the employer matches"),
    "internship_ids": _l("the internship matches"),
    "pipelines": _l("the pipeline matches"),
    "sources": _l("the source matches"),
    "skills_any": _l("the student has one of the skills"),
    "score_min": _l("the score is high enough"),
    "score_max": _l("the score is below the maximum"),
}

ASSIGNMENT_STRATEGIES = {
    "fixed": _l("fixed user"),
    "round_robin": _l("round robin"),
    "least_loaded": _l("fewest open applications"),
}


def decision_explanation(decision: RoutingDecision | None) -> str:
    """Return the decision's explanation in the current language."""
    if decision is None:
        return ""
    if not decision.explanation_parts:
        return decision.explanation_text or decision.reason_code
    return render_parts(decision.explanation_parts)


def render_parts(parts: list[dict[str, Any]]) -> str:
    """Join stored explanation parts into one sentence in the current language."""
    sentences = []
    for part in parts:
        if part.get("code") == "rejected":
            message = submitter_message(part.get("reason", ""), str(get_locale()))
            return _("Application rejected: %(message)s", message=message)
        sentences.append(render_part(part))
    return "; ".join(sentence for sentence in sentences if sentence) + "."


def render_part(part: dict[str, Any]) -> str:
    """Render one part; an unknown code renders as nothing."""
    code = part.get("code")
    renderer = RENDERERS.get(code or "")
    if renderer is not None:
        return renderer(part)
    return fallback_part(code, part.get("rule"))


def rule_fired(part: dict[str, Any]) -> str:
    reasons = [str(CONDITION_REASONS.get(name, name)) for name in part["conditions"]]
    why = ", ".join(reasons) if reasons else _("it has no conditions")
    return _("Rule «%(rule)s» fired because %(why)s", rule=part["rule"], why=why)


def fallback_part(code: str | None, rule: str | None) -> str:
    if code == "default_rule":
        return _("No rule matched, so the default rule «%(rule)s» fired", rule=rule)
    if code == "internship_owner":
        return _("No rule applied, so the internship's responsible user got it")
    if code == "portal_fallback":
        return _("No rule applied, so the portal's fallback user got it")
    if code == "unassigned":
        return _("No rule applied and no fallback user is set: nobody is assigned")
    return ""


def assignee(part: dict[str, Any]) -> str:
    strategy = ASSIGNMENT_STRATEGIES.get(part.get("strategy", ""), part.get("via", ""))
    return _(
        "assigned to user %(user)s (%(strategy)s)",
        user=part["user"],
        strategy=str(strategy),
    )


def score(part: dict[str, Any]) -> str:
    return _(
        "score %(total)s = skills %(skills)s + course %(course)s + "
        "programme %(programme)s",
        total=number(part["total"]),
        skills=number(part["skills"]),
        course=number(part["course"]),
        programme=number(part["programme"]),
    )


def seats(part: dict[str, Any]) -> str:
    return _("seats left %(left)s of %(total)s", left=part["left"], total=part["total"])


def open_to_all(part: dict[str, Any]) -> str:
    return _("open to all universities")


def alternatives(part: dict[str, Any]) -> str:
    items = [
        f"«{item['title']}» ({item['reason'] or number(item['score'] or 0.0)})"
        for item in part["items"]
    ]
    return _("alternatives considered: %(items)s", items=", ".join(items) or _("none"))


def number(value: float) -> str:
    return format_decimal(value, format="0.00")


RENDERERS = {
    "rule": rule_fired,
    "assignee": assignee,
    "score": score,
    "seats": seats,
    "open_to_all": open_to_all,
    "alternatives": alternatives,
}


def register(bp: Blueprint) -> None:
    """Make `decision_explanation` available to every template."""
    bp.add_app_template_global(decision_explanation)
