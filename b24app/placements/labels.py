"""Translated labels for stored codes: application stages, internship statuses."""

from __future__ import annotations

from flask import Blueprint
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
