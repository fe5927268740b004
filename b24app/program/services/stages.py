"""Moving an application between stages: history, seats and placement."""

import logging

from b24app.extensions import db
from b24app.program.errors import ProgramError
from b24app.program.models import (
    SEAT_HOLDING_STAGES,
    Application,
    ApplicationStage,
    ApplicationStageChange,
    OutboxKind,
    Partnership,
    PartnershipSeat,
    Student,
    Term,
)
from b24app.program.services.checks import load
from b24app.program.services.outbox import add_outbox
from b24app.tenancy.scoping import get_scoped, scoped

log = logging.getLogger(__name__)

# Stage order used to decide whether an application reached the placed stage.
STAGE_ORDER = [
    ApplicationStage.NEW,
    ApplicationStage.SCREENING,
    ApplicationStage.INTERVIEW,
    ApplicationStage.OFFER,
    ApplicationStage.HIRED,
]


def change_stage(
    portal_id: int,
    application_id: int,
    to_stage: str,
    *,
    changed_by_user_id: int | None = None,
    reason: str = "",
    from_crm: bool = False,
) -> Application:
    """Move an application to `to_stage`, record it and commit.

    Leaving the seat-holding stages frees the partnership seat; coming back takes
    it again even when that overfills the partnership, because the move already
    happened. Reaching the term's placed stage marks the student placed. Moves the
    CRM reported (`from_crm`) are not written back to it.
    """
    if to_stage not in set(ApplicationStage):
        raise ProgramError(f"unknown application stage {to_stage!r}")
    application = load(Application, portal_id, application_id)
    from_stage = application.stage
    if from_stage == to_stage:
        return application

    _move_seat(portal_id, application, from_stage, to_stage)
    application.stage = to_stage
    if to_stage == ApplicationStage.REJECTED:
        application.rejection_reason = reason[:255]
    db.session.add(
        ApplicationStageChange(
            portal_id=portal_id,
            application_id=application.id,
            from_stage=from_stage,
            to_stage=to_stage,
            changed_by_user_id=changed_by_user_id,
            reason=reason[:255],
        )
    )
    _mark_placed(portal_id, application, to_stage)
    if not from_crm:
        add_outbox(
            portal_id,
            OutboxKind.UPDATE_APPLICATION_DEAL,
            "application",
            application.id,
            {"application_id": application.id, "stage": to_stage},
        )

    db.session.commit()
    log.info(
        "portal %s: application %s moved %s -> %s",
        portal_id,
        application.id,
        from_stage,
        to_stage,
    )
    return application


def _move_seat(
    portal_id: int, application: Application, from_stage: str, to_stage: str
) -> None:
    if application.partnership_id is None:
        return
    held_before = from_stage in SEAT_HOLDING_STAGES
    held_after = to_stage in SEAT_HOLDING_STAGES
    if held_before == held_after:
        return

    step = 1 if held_after else -1
    statement = (
        scoped(Partnership, portal_id)
        .filter_by(id=application.partnership_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    partnership = db.session.execute(statement).scalar_one()
    partnership.seats_used = max(partnership.seats_used + step, 0)
    allocation = db.session.execute(
        scoped(PartnershipSeat, portal_id)
        .filter_by(
            partnership_id=partnership.id, internship_id=application.internship_id
        )
        .with_for_update()
    ).scalar_one_or_none()
    if allocation is not None:
        allocation.seats_used = max(allocation.seats_used + step, 0)


def _mark_placed(portal_id: int, application: Application, to_stage: str) -> None:
    term = get_scoped(Term, portal_id, id=application.term_id)
    placed_at = term.placed_at_stage if term else ApplicationStage.HIRED
    if to_stage not in STAGE_ORDER or placed_at not in STAGE_ORDER:
        return
    if STAGE_ORDER.index(to_stage) >= STAGE_ORDER.index(placed_at):
        student = get_scoped(Student, portal_id, id=application.student_id)
        student.placed = True
