"""Translated labels for stored codes: stages, statuses, sections, rule terms."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

STAGES = {
    "new": _l("New"),
    "screening": _l("Screening"),
    "interview": _l("Interview"),
    "offer": _l("Offer"),
    "hired": _l("Hired"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
}

INTERNSHIP_STATUSES = {
    "draft": _l("Draft"),
    "open": _l("Open"),
    "closed": _l("Closed"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}

PARTNERSHIP_STATUSES = {
    "draft": _l("Draft"),
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "ended": _l("Ended"),
}


SECTIONS = {
    "universities": _l("Universities"),
    "employers": _l("Companies"),
    "students": _l("Students"),
    "internships": _l("Internships"),
    "applications": _l("Applications"),
    "rules": _l("Routing rules"),
    "terms": _l("Terms"),
    "partnerships": _l("Partnerships"),
    "reports": _l("Reports"),
    "settings": _l("Settings"),
}

CONDITIONS = {
    "university_ids": _l("Universities"),
    "employer_ids": _l("Employers"),
    "internship_ids": _l("Internships"),
    "pipelines": _l("Pipelines"),
    "sources": _l("Sources"),
    "skills_any": _l("Any of the skills"),
    "score_min": _l("Minimum score"),
    "score_max": _l("Maximum score"),
}

STRATEGIES = {
    "fixed": _l("Fixed user"),
    "round_robin": _l("Round robin"),
    "least_loaded": _l("Fewest open applications"),
}

SYNC_STATUSES = {
    "running": _l("Running"),
    "succeeded": _l("Finished"),
    "failed": _l("Failed"),
}

# The steps that full and university sync runs record in `current_entity`.
SYNC_PHASES = {
    "company": _l("Companies"),
    "contact": _l("Contacts"),
    "deal": _l("Deals"),
    "contact_check": _l("Checking contacts"),
    "deal_check": _l("Checking deals"),
    "tombstones": _l("Removing deleted records"),
    "done": _l("Done"),
}


def section_title(code: str) -> str:
    """Return the title of an app page section."""
    return str(SECTIONS.get(code, code))


def condition_title(code: str) -> str:
    """Return the label of a routing rule condition."""
    return str(CONDITIONS.get(code, code))


def strategy_title(code: str) -> str:
    """Return the label of a routing strategy."""
    return str(STRATEGIES.get(code, code))


def sync_status_title(code: str) -> str:
    """Return the label of a sync run status."""
    return str(SYNC_STATUSES.get(code, code))


def sync_phase_title(code: str) -> str:
    """Return the label of a sync run step, or the code if unknown."""
    return str(SYNC_PHASES.get(code, code))


def timestamp_label(value: str | datetime | None) -> str:
    """Format a datetime or its ISO 8601 text in the user's language, "—" for none."""
    if not value:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_datetime(value, "short")


def stage_label(code: str) -> str:
    """Return the label of an application stage, or the code if unknown."""
    return str(STAGES.get(code, code))


def internship_status(code: str) -> str:
    """Return the label of an internship status, or the code if unknown."""
    return str(INTERNSHIP_STATUSES.get(code, code))


def partnership_status(code: str) -> str:
    """Return the label of a partnership status, or the code if unknown."""
    return str(PARTNERSHIP_STATUSES.get(code, code))


def register(bp: Blueprint) -> None:
    """Make the label functions available to every template."""
    bp.add_app_template_global(stage_label)
    bp.add_app_template_global(internship_status)
    bp.add_app_template_global(partnership_status)
    for function in (
        section_title,
        condition_title,
        strategy_title,
        sync_status_title,
        sync_phase_title,
        timestamp_label,
    ):
        bp.add_app_template_global(function)
