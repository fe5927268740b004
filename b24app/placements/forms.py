"""Form parsing for the admin editors: request fields to program service arguments.

Each parser raises ProgramError naming the field and the value, and the
services check the rest (ids in the portal, strategy needs, date order).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from b24app.program.errors import ProgramError
from b24app.web.params import InvalidParameter, non_negative_int, positive_int


def text(form: MultiDict, name: str, limit: int = 255) -> str:
    return (form.get(name) or "").strip()[:limit]


def optional_int(form: MultiDict, name: str) -> int | None:
    """Return a whole number from 0 up, or None for a blank field."""
    raw = text(form, name, 20)
    if not raw:
        return None
    try:
        return non_negative_int(raw, field=name)
    except InvalidParameter as error:
        raise ProgramError(str(error)) from None


def optional_float(form: MultiDict, name: str) -> float | None:
    raw = text(form, name, 20).replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError as error:
        raise ProgramError(f"{name} must be a number, got {raw!r}") from error


def id_list(form: MultiDict, name: str) -> list[int]:
    """Return the ids of a multi-select or of a comma-separated text field."""
    values = []
    for raw in form.getlist(name):
        values.extend(part.strip() for part in raw.split(","))
    ids = []
    for value in values:
        if not value:
            continue
        try:
            ids.append(positive_int(value, field=name))
        except InvalidParameter as error:
            raise ProgramError(f"{name} must list ids: {error}") from None
    return ids


def word_list(form: MultiDict, name: str) -> list[str]:
    raw = text(form, name, 1000)
    return [part.strip() for part in raw.split(",") if part.strip()]


def optional_date(form: MultiDict, name: str) -> date | None:
    raw = text(form, name, 20)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise ProgramError(
            f"{name} must be a date (YYYY-MM-DD), got {raw!r}"
        ) from error


def optional_moment(form: MultiDict, name: str) -> datetime | None:
    """Parse an HTML datetime-local value; it is taken as UTC."""
    raw = text(form, name, 30)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as error:
        raise ProgramError(
            f"{name} must be a date and time (YYYY-MM-DDTHH:MM), got {raw!r}"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rule_fields(form: MultiDict) -> dict[str, Any]:
    """Return the RULE_FIELDS of a routing rule form."""
    conditions: dict[str, Any] = {
        "university_ids": id_list(form, "university_ids"),
        "employer_ids": id_list(form, "employer_ids"),
        "internship_ids": id_list(form, "internship_ids"),
        "sources": word_list(form, "sources"),
        "skills_any": word_list(form, "skills_any"),
        "score_min": optional_float(form, "score_min"),
        "score_max": optional_float(form, "score_max"),
    }
    return {
        "name": text(form, "name", 120),
        "active": form.get("active") == "1",
        "is_default": form.get("is_default") == "1",
        "strategy": text(form, "strategy", 20),
        "fixed_user_id": optional_int(form, "fixed_user_id"),
        "user_pool": id_list(form, "user_pool"),
        "conditions": {key: value for key, value in conditions.items() if value},
    }


def term_fields(form: MultiDict) -> dict[str, Any]:
    """Return the TERM_FIELDS of a term form."""
    return {
        "name": text(form, "name", 120),
        "starts_on": optional_date(form, "starts_on"),
        "ends_on": optional_date(form, "ends_on"),
        "applications_open_at": optional_moment(form, "applications_open_at"),
        "applications_close_at": optional_moment(form, "applications_close_at"),
        "max_active_applications": optional_int(form, "max_active_applications"),
        "placed_at_stage": text(form, "placed_at_stage", 20) or "hired",
        "freeze_placed": form.get("freeze_placed") == "1",
    }


def partnership_fields(form: MultiDict) -> dict[str, Any]:
    """Return the PARTNERSHIP_FIELDS of a partnership form."""
    for name in ("university_id", "employer_id"):
        if optional_int(form, name) is None:
            raise ProgramError(f"{name} is missing: choose one from the list")
    return {
        "university_id": optional_int(form, "university_id"),
        "employer_id": optional_int(form, "employer_id"),
        "term_id": optional_int(form, "term_id"),
        "starts_on": optional_date(form, "starts_on"),
        "ends_on": optional_date(form, "ends_on"),
        "agreement_number": text(form, "agreement_number", 64),
        "seats_total": optional_int(form, "seats_total") or 0,
        "status": text(form, "status", 20) or "active",
    }
