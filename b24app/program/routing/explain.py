"""The routing explanation written to the CRM timeline, in Russian or English."""

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


def explain(decision: Decision, lang: str | None) -> str:
    """Build the timeline text: rule, assignee, score parts, seats, alternatives."""
    lang = language(lang)
    text = TEXT[lang]
    if not decision.accepted:
        return text["rejected"].format(
            message=submitter_message(decision.reason_code, lang)
        )

    parts = [_rule_reason(decision, lang)]
    if decision.assignee_user_id is not None:
        strategy = text.get(decision.strategy or "", decision.assigned_via or "")
        parts.append(
            text["assignee"].format(user=decision.assignee_user_id, strategy=strategy)
        )
    parts.append(_score(decision, lang))
    parts.append(_seats(decision, lang))
    parts.append(_alternatives(decision, lang))
    return "; ".join(parts) + "."


def _rule_reason(decision: Decision, lang: str) -> str:
    text = TEXT[lang]
    via = decision.assigned_via or "unassigned"
    if via != "rule":
        return text[via].format(rule=decision.rule_name)
    names = CONDITION_NAMES[lang]
    reasons = [names[name] for name in decision.matched_conditions]
    reason = ", ".join(reasons) if reasons else text["always"]
    return text["rule"].format(rule=decision.rule_name, why=reason)


def _score(decision: Decision, lang: str) -> str:
    parts = decision.score_parts
    return TEXT[lang]["score"].format(
        total=_number(decision.score),
        skills=_number(parts.get("skills", 0.0)),
        course=_number(parts.get("course", 0.0)),
        programme=_number(parts.get("programme", 0.0)),
    )


def _seats(decision: Decision, lang: str) -> str:
    if decision.seats_total is None:
        return TEXT[lang]["open_to_all"]
    # The seat is taken by this application, so one fewer is left afterwards.
    left = max((decision.seats_left or 0) - 1, 0)
    return TEXT[lang]["seats"].format(left=left, total=decision.seats_total)


def _alternatives(decision: Decision, lang: str) -> str:
    text = TEXT[lang]
    items = []
    for item in decision.internships_considered:
        if item["id"] == decision.internship_id:
            continue
        status = item["reason_code"] or _number(item["score"])
        items.append(f"«{item['title']}» ({status})")
    for rule in decision.rules_considered:
        if rule["result"] != "fired":
            items.append(f"«{rule['name']}» ({rule['result']})")
    return text["alternatives"].format(items=", ".join(items) or text["none"])


def _number(value: float) -> str:
    return f"{value:.2f}"
