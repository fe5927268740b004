"""Run CRM stage changes of applications through the program's stage service.

`program.services.stages.change_stage` frees or takes partnership seats and
marks students placed, and it commits, so the sync calls it only after its own
transaction has committed. Each applied move then queues the student's mail
and the university webhook.
"""

import logging

from sqlalchemy import select, update

from b24app.analytics.summary import refresh_application_summary
from b24app.extensions import db
from b24app.program.errors import ProgramError
from b24app.program.models import Application
from b24app.program.services.stages import change_stage
from b24app.sync.notify import queue_stage_changed

log = logging.getLogger(__name__)


def apply_stage_moves(portal_id: int, moves: list[tuple[int, str]]) -> int:
    """Move each application (by Bitrix24 id) to its CRM stage; return the count."""
    moved = 0
    for bitrix_id, stage in moves:
        application_id = db.session.execute(
            select(Application.id).where(
                Application.portal_id == portal_id, Application.bitrix_id == bitrix_id
            )
        ).scalar_one_or_none()
        if application_id is None:
            continue
        try:
            change_stage(
                portal_id,
                application_id,
                stage,
                reason="changed in the CRM",
                from_crm=True,
            )
        except ProgramError as error:
            # The mirror must still equal the CRM, so the stage is written as is.
            db.session.rollback()
            log.warning(
                "portal %s: application %s stage %s kept without seat checks: %s",
                portal_id,
                application_id,
                stage,
                error,
            )
            db.session.execute(
                update(Application)
                .where(Application.id == application_id)
                .values(stage=stage)
            )
            refresh_application_summary(portal_id, [application_id])
            db.session.commit()
        queue_stage_changed(portal_id, application_id)
        moved += 1
    moves.clear()
    return moved
