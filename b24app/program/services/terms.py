"""Terms: create, update, delete."""

import logging
from typing import Any

from b24app.extensions import db
from b24app.program.errors import ProgramError
from b24app.program.models import ApplicationStage, Term
from b24app.program.services.checks import (
    load,
    require_aware,
    require_count,
    require_order,
)

log = logging.getLogger(__name__)

TERM_FIELDS = (
    "name",
    "starts_on",
    "ends_on",
    "applications_open_at",
    "applications_close_at",
    "max_active_applications",
    "placed_at_stage",
    "freeze_placed",
)
PLACED_STAGES = (ApplicationStage.OFFER, ApplicationStage.HIRED)


def create_term(portal_id: int, name: str, **fields: Any) -> Term:
    """Add a term; `fields` are the other TERM_FIELDS."""
    values = {"placed_at_stage": ApplicationStage.HIRED, "freeze_placed": True}
    values.update(fields, name=name)
    _validate(values)

    term = Term(portal_id=portal_id, **values)
    db.session.add(term)
    db.session.commit()
    log.info("portal %s: created term %s %r", portal_id, term.id, name)
    return term


def update_term(portal_id: int, term_id: int, **changes: Any) -> Term:
    term = load(Term, portal_id, term_id)
    values = {name: getattr(term, name) for name in TERM_FIELDS}
    values.update(changes)
    _validate(values)

    for name, value in values.items():
        setattr(term, name, value)
    db.session.commit()
    return term


def delete_term(portal_id: int, term_id: int) -> None:
    """Delete a term; its internships, partnerships and applications keep no term."""
    term = load(Term, portal_id, term_id)
    db.session.delete(term)
    db.session.commit()
    log.info("portal %s: deleted term %s", portal_id, term_id)


def _validate(values: dict[str, Any]) -> None:
    unknown = sorted(set(values) - set(TERM_FIELDS))
    if unknown:
        raise ProgramError(f"unknown term fields: {', '.join(unknown)}")
    if not (values.get("name") or "").strip():
        raise ProgramError("a term needs a name")
    values["name"] = values["name"].strip()[:120]

    require_aware(values.get("applications_open_at"), "applications_open_at")
    require_aware(values.get("applications_close_at"), "applications_close_at")
    require_order(
        values.get("applications_open_at"),
        values.get("applications_close_at"),
        "applications_open_at",
        "applications_close_at",
    )
    require_order(
        values.get("starts_on"), values.get("ends_on"), "starts_on", "ends_on"
    )
    require_count(values.get("max_active_applications"), "max_active_applications")
    placed_at = values.get("placed_at_stage")
    if placed_at not in PLACED_STAGES:
        raise ProgramError(f"placed_at_stage must be offer or hired, got {placed_at!r}")
