"""The routing explanation written to the CRM timeline, in Russian or English."""

from typing import Any

from b24app.program.messages import language, submitter_message
from b24app.program.routing.decide import Decision

TEXT = {
    "en": {
        "rule": "Rule «{rule}» fired because {why}",
        "default_rule": "No rule matched, so the default rule «{rule}» fired",
        "internship_owner": "No rule applied, so the internship's responsible "
        "user got the application",
        "portal_fallback": "No rule applied, so the portal's fallback user got "
        "the application",
        "unassigned": "No rule applied and no fallback user is set: the "
        "application is unassigned",
        "always": "it has no conditions",
        "assignee": "assigned to user {user} ({strategy})",
        "score": "score {total} = skills {skills} + course {course} + "
        "programme {programme}",
        "seats": "seats left {left} of {total}",
        "open_to_all": "open to all universities",
        "alternatives": "alternatives considered: {items}",
        "none": "none",
        "rejected": "Application rejected: {message}",
        "fixed": "fixed user",
        "round_robin": "round robin",
        "least_loaded": "fewest open applications",
    },
    "ru": {
        "rule": "Сработало правило «{rule}», потому что {why}",
        "default_rule": "Ни одно правило не подошло, сработало правило по "
        "умолчанию «{rule}»",
        "internship_owner": "Ни одно правило не применилось, заявка передана "
        "ответственному за стажировку",
        "portal_fallback": "Ни одно правило не применилось, заявка передана "
        "резервному ответственному портала",
        "unassigned": "Ни одно правило не применилось и резервный ответственный "
        "не задан: заявка без ответственного",
        "always": "у него нет условий",
        "assignee": "ответственный: пользователь {user} ({strategy})",
        "score": "оценка {total} = навыки {skills} + курс {course} + "
        "программа {programme}",
        "seats": "осталось мест {left} из {total}",
        "open_to_all": "открыта для всех вузов",
        "alternatives": "рассмотрены варианты: {items}",
        "none": "нет",
        "rejected": "Заявка отклонена: {message}",
        "fixed": "закреплённый пользователь",
        "round_robin": "по очереди",
        "least_loaded": "наименьшая загрузка",
    },
}

SCORE_PARTS = ("skills", "course", "programme")

CONDITION_NAMES = {
    "en": {
        "university_ids": "the university matches",
        "employer_ids": "the employer matches",
        "internship_ids": "the internship matches",
        "pipelines": "the pipeline matches",
        "sources": "the source matches",
        "skills_any": "the student has one of the skills",
        "score_min": "the score is high enough",
        "score_max": "the score is below the maximum",
    },
    "ru": {
        "university_ids": "совпал вуз",
        "employer_ids": "совпал работодатель",
        "internship_ids": "совпала стажировка",
        "pipelines": "совпала воронка",
        "sources": "совпал источник",
        "skills_any": "у студента есть один из навыков",
        "score_min": "оценка не ниже порога",
        "score_max": "оценка не выше порога",
    },
}


def explanation_parts(decision: Decision) -> list[dict[str, Any]]:
    """Return the explanation as language-neutral parts: a `code` and its values.

    The parts are stored with the decision, so pages can show them in the
    reader's language. `render_text` turns them into one sentence.
    """
    if not decision.accepted:
        return [{"code": "rejected", "reason": decision.reason_code}]

    parts = [_rule_part(decision)]
    if decision.assignee_user_id is not None:
        parts.append(
            {
                "code": "assignee",
                "user": decision.assignee_user_id,
                "strategy": decision.strategy or "",
                "via": decision.assigned_via or "",
            }
        )
    parts.append(
        {
            "code": "score",
            "total": decision.score,
            **{name: decision.score_parts.get(name, 0.0) for name in SCORE_PARTS},
        }
    )
    parts.append(_seats_part(decision))
    parts.append({"code": "alternatives", "items": _alternatives(decision)})
    return parts


def explain(decision: Decision, lang: str | None) -> str:
    """Build the timeline text: rule, assignee, score parts, seats, alternatives."""
    return render_text(explanation_parts(decision), lang)


def render_text(parts: list[dict[str, Any]], lang: str | None) -> str:
    """Join the parts into the sentence the CRM timeline gets, in `lang`."""
    lang = language(lang)
    text = TEXT[lang]
    sentences = []
    for part in parts:
        code = part["code"]
        if code == "rejected":
            message = submitter_message(part["reason"], lang)
            return text["rejected"].format(message=message)
        if code == "rule":
            names = CONDITION_NAMES[lang]
            reasons = [names[name] for name in part["conditions"]]
            why = ", ".join(reasons) if reasons else text["always"]
            sentences.append(text["rule"].format(rule=part["rule"], why=why))
        elif code == "assignee":
            strategy = text.get(part["strategy"], part["via"])
            sentences.append(
                text["assignee"].format(user=part["user"], strategy=strategy)
            )
        elif code == "score":
            values = {name: _number(part[name]) for name in ("total", *SCORE_PARTS)}
            sentences.append(text["score"].format(**values))
        elif code == "seats":
            sentences.append(
                text["seats"].format(left=part["left"], total=part["total"])
            )
        elif code == "alternatives":
            items = [_alternative_text(item) for item in part["items"]]
            sentences.append(
                text["alternatives"].format(items=", ".join(items) or text["none"])
            )
        else:
            sentences.append(text[code].format(rule=part.get("rule")))
    return "; ".join(sentences) + "."


def _rule_part(decision: Decision) -> dict[str, Any]:
    via = decision.assigned_via or "unassigned"
    if via != "rule":
        return {"code": via, "rule": decision.rule_name}
    return {
        "code": "rule",
        "rule": decision.rule_name,
        "conditions": list(decision.matched_conditions),
    }


def _seats_part(decision: Decision) -> dict[str, Any]:
    if decision.seats_total is None:
        return {"code": "open_to_all"}
    # The seat is taken by this application, so one fewer is left afterwards.
    left = max((decision.seats_left or 0) - 1, 0)
    return {"code": "seats", "left": left, "total": decision.seats_total}


def _alternatives(decision: Decision) -> list[dict[str, Any]]:
    """Return the other internships and the rules that did not fire, with why."""
    items = []
    for item in decision.internships_considered:
        if item["id"] == decision.internship_id:
            continue
        items.append(
            {
                "title": item["title"],
                "reason": item["reason_code"],
                "score": item["score"],
            }
        )
    for rule in decision.rules_considered:
        if rule["result"] != "fired":
            items.append(
                {"title": rule["name"], "reason": rule["result"], "score": None}
            )
    return items


def _alternative_text(item: dict[str, Any]) -> str:
    status = item["reason"] or _number(item["score"] or 0.0)
    return f"«{item['title']}» ({status})"


def _number(value: float) -> str:
    return f"{value:.2f}"
