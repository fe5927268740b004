"""Partnerships and their per-internship seat allocations."""

import logging
from typing import Any

from b24app.extensions import db
from b24app.program.errors import ProgramError
from b24app.program.models import (
    Employer,
    Internship,
    Partnership,
    PartnershipSeat,
    PartnershipStatus,
    Term,
    University,
)
from b24app.program.services.checks import load, require_count, require_order
from b24app.tenancy.scoping import scoped

log = logging.getLogger(__name__)

PARTNERSHIP_FIELDS = (
    "university_id",
    "employer_id",
    "term_id",
    "starts_on",
    "ends_on",
    "agreement_number",
    "seats_total",
    "university_contact_name",
    "employer_contact_name",
    "status",
)


def create_partnership(
    portal_id: int, university_id: int, employer_id: int, **fields: Any
) -> Partnership:
    """Add a partnership; `fields` are the other PARTNERSHIP_FIELDS."""
    values = {"status": PartnershipStatus.ACTIVE, "seats_total": 0}
    values.update(fields, university_id=university_id, employer_id=employer_id)
    _validate(portal_id, values)

    partnership = Partnership(portal_id=portal_id, **values)
    db.session.add(partnership)
    db.session.commit()
    log.info(
        "portal %s: created partnership %s (university %s, employer %s)",
        portal_id,
        partnership.id,
        university_id,
        employer_id,
    )
    return partnership


def update_partnership(
    portal_id: int, partnership_id: int, **changes: Any
) -> Partnership:
    """Change some fields; seats already used may exceed a lowered total."""
    partnership = load(Partnership, portal_id, partnership_id)
    values = {name: getattr(partnership, name) for name in PARTNERSHIP_FIELDS}
    values.update(changes)
    _validate(portal_id, values)
    _check_allocations_fit(partnership, values["seats_total"])

    for name, value in values.items():
        setattr(partnership, name, value)
    db.session.commit()
    return partnership


def delete_partnership(portal_id: int, partnership_id: int) -> None:
    partnership = load(Partnership, portal_id, partnership_id)
    db.session.delete(partnership)
    db.session.commit()
    log.info("portal %s: deleted partnership %s", portal_id, partnership_id)


def set_internship_seats(
    portal_id: int, partnership_id: int, internship_id: int, seats: int | None
) -> PartnershipSeat | None:
    """Set aside `seats` of the partnership for one internship; None removes it.

    The allocations of one partnership may not add up to more than its total.
    """
    partnership = load(Partnership, portal_id, partnership_id)
    internship = load(Internship, portal_id, internship_id)
    if internship.employer_id != partnership.employer_id:
        raise ProgramError(
            f"internship {internship_id} belongs to employer {internship.employer_id}, "
            f"not to the partnership's employer {partnership.employer_id}"
        )
    statement = scoped(PartnershipSeat, portal_id).filter_by(
        partnership_id=partnership.id, internship_id=internship.id
    )
    allocation = db.session.execute(statement).scalar_one_or_none()

    if seats is None:
        if allocation is not None:
            db.session.delete(allocation)
        db.session.commit()
        return None

    require_count(seats, "seats")
    others = sum(
        row.seats for row in partnership.seat_allocations if row is not allocation
    )
    if others + seats > partnership.seats_total:
        raise ProgramError(
            f"allocations would add up to {others + seats} seats, more than the "
            f"partnership's {partnership.seats_total}"
        )
    if allocation is None:
        allocation = PartnershipSeat(
            portal_id=portal_id,
            partnership_id=partnership.id,
            internship_id=internship.id,
        )
        db.session.add(allocation)
    allocation.seats = seats
    db.session.commit()
    return allocation


def _validate(portal_id: int, values: dict[str, Any]) -> None:
    unknown = sorted(set(values) - set(PARTNERSHIP_FIELDS))
    if unknown:
        raise ProgramError(f"unknown partnership fields: {', '.join(unknown)}")
    load(University, portal_id, values["university_id"])
    load(Employer, portal_id, values["employer_id"])
    if values.get("term_id") is not None:
        load(Term, portal_id, values["term_id"])

    require_count(values.get("seats_total"), "seats_total")
    require_order(
        values.get("starts_on"), values.get("ends_on"), "starts_on", "ends_on"
    )
    if values.get("status") not in set(PartnershipStatus):
        raise ProgramError(f"unknown partnership status {values.get('status')!r}")


def _check_allocations_fit(partnership: Partnership, seats_total: int) -> None:
    allocated = sum(row.seats for row in partnership.seat_allocations)
    if allocated > seats_total:
        raise ProgramError(
            f"seats_total {seats_total} is less than the {allocated} seats "
            f"already set aside for internships"
        )
