"""Seat counters: rebuilt from the applications that hold a seat."""

import logging

from sqlalchemy import func, select

from b24app.extensions import db
from b24app.program.models import (
    SEAT_HOLDING_STAGES,
    Application,
    Partnership,
    PartnershipSeat,
)
from b24app.tenancy.scoping import scoped

log = logging.getLogger(__name__)


def recompute_seats(
    portal_id: int, partnership_id: int | None = None
) -> dict[int, int]:
    """Recount `seats_used` of the portal's partnerships (or one) and commit.

    Returns partnership id -> seats used. Rows are locked while counting so a
    routing run cannot take a seat in between.
    """
    statement = scoped(Partnership, portal_id).order_by(Partnership.id)
    if partnership_id is not None:
        statement = statement.where(Partnership.id == partnership_id)
    partnerships = list(
        db.session.execute(
            statement.with_for_update().execution_options(populate_existing=True)
        ).scalars()
    )

    counts = _count_by(portal_id, Application.partnership_id)
    pair_counts = _count_by(
        portal_id, Application.partnership_id, Application.internship_id
    )
    result = {}
    for partnership in partnerships:
        used = counts.get((partnership.id,), 0)
        if partnership.seats_used != used:
            log.info(
                "portal %s: partnership %s seats used %s -> %s",
                portal_id,
                partnership.id,
                partnership.seats_used,
                used,
            )
        partnership.seats_used = used
        result[partnership.id] = used
        for allocation in _allocations(portal_id, partnership.id):
            key = (partnership.id, allocation.internship_id)
            allocation.seats_used = pair_counts.get(key, 0)

    db.session.commit()
    return result


def _count_by(portal_id: int, *columns) -> dict[tuple, int]:
    statement = (
        select(*columns, func.count(Application.id))
        .where(Application.portal_id == portal_id)
        .where(Application.partnership_id.is_not(None))
        .where(Application.stage.in_(SEAT_HOLDING_STAGES))
        .group_by(*columns)
    )
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(statement)}


def _allocations(portal_id: int, partnership_id: int) -> list[PartnershipSeat]:
    statement = (
        scoped(PartnershipSeat, portal_id)
        .filter_by(partnership_id=partnership_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(db.session.execute(statement).scalars())
