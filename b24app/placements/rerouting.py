"""Re-running routing for an application that already exists.

The engine's `route_application` creates applications, so for an existing one
it only reports a duplicate. Re-routing reads the same inputs through
`gather_inputs`, discounts the application's own seat and active slot, and
calls the engine's pure `decide()`. An accepted decision reassigns the
application; a rejected one is stored and changes nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from b24app.extensions import db
from b24app.placements.actions import student_data
from b24app.program.errors import ProgramError
from b24app.program.messages import language
from b24app.program.models import (
    ACTIVE_STAGES,
    Application,
    OutboxKind,
    RoutingDecision,
    RoutingRule,
    Student,
)
from b24app.program.routing import ApplicationRequest
from b24app.program.routing.decide import Decision, decide
from b24app.program.routing.explain import explain, explanation_parts
from b24app.program.routing.inputs import RoutingInputs
from b24app.program.routing.snapshot import LockedRows, gather_inputs
from b24app.program.services.checks import load
from b24app.program.services.outbox import add_outbox
from b24app.tenancy.models import utcnow

log = logging.getLogger(__name__)


def reroute_application(
    portal_id: int, application_id: int, user_id: int | None, lang: str
) -> RoutingDecision:
    """Decide the application's routing again, store the decision and commit.

    Raises NotFoundError for an unknown application and ProgramError when the
    application's student or internship is gone.
    """
    application = load(Application, portal_id, application_id)
    student = load(Student, portal_id, application.student_id)
    request = ApplicationRequest(
        student=student_data(student),
        internship_id=application.internship_id,
        source="card",
        lang=lang,
    )
    try:
        inputs, rows = gather_inputs(
            portal_id, language(lang), request, student, utcnow()
        )
        if inputs.rejection_code or not inputs.internships:
            raise ProgramError(
                f"application {application_id}: internship "
                f"{application.internship_id} not found"
            )
        inputs.internships = [own_slot_freed(inputs, application)]
        decision = decide(inputs)
        row = store_decision(portal_id, application, inputs, decision)
        if decision.accepted:
            reassign(portal_id, application, decision, row, rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise

    log.info(
        "portal %s: application %s re-routed by user %s: %s, assignee %s",
        portal_id,
        application.id,
        user_id,
        row.reason_code,
        row.assignee_user_id,
    )
    return row


def own_slot_freed(inputs: RoutingInputs, application: Application):
    """Return the internship facts as if this application had not been made yet.

    Without this the engine would see its own application as a duplicate, its
    own seat as taken and its own stage in the student's active count.
    """
    facts = inputs.internships[0]
    seats_left = facts.seats_left
    if seats_left is not None and application.partnership_id is not None:
        seats_left += 1
    active = facts.term_active_count
    if application.stage in ACTIVE_STAGES and application.term_id == facts.term_id:
        active = max(active - 1, 0)
    return replace(
        facts, already_applied=False, seats_left=seats_left, term_active_count=active
    )


def store_decision(
    portal_id: int,
    application: Application,
    inputs: RoutingInputs,
    decision: Decision,
) -> RoutingDecision:
    row = RoutingDecision(
        portal_id=portal_id,
        application_id=application.id,
        rule_id=decision.rule_id,
        accepted=decision.accepted,
        assignee_user_id=decision.assignee_user_id,
        reason_code=decision.reason_code,
        score=decision.score,
        inputs=inputs.to_dict(),
        outcome=decision.to_dict(),
        explanation_text=explain(decision, inputs.lang)[:4000],
        explanation_parts=explanation_parts(decision),
    )
    db.session.add(row)
    db.session.flush()
    return row


def reassign(
    portal_id: int,
    application: Application,
    decision: Decision,
    row: RoutingDecision,
    rows: LockedRows,
) -> None:
    """Give the application its new assignee, rule count and cursor step."""
    application.assigned_user_id = decision.assignee_user_id
    application.score = decision.score
    application.routing_decision_id = row.id
    if decision.rule_id is not None:
        rows.rules[decision.rule_id].routed_count = RoutingRule.routed_count + 1
    if decision.cursor_index is not None:
        rows.cursors[decision.rule_id].last_index = decision.cursor_index

    # The outbound handler writes the stage and, from `assigned_user_id`, the
    # deal's ASSIGNED_BY_ID.
    add_outbox(
        portal_id,
        OutboxKind.UPDATE_APPLICATION_DEAL,
        "application",
        application.id,
        {
            "application_id": application.id,
            "stage": application.stage,
            "assigned_user_id": application.assigned_user_id,
        },
    )
    add_outbox(
        portal_id,
        OutboxKind.ADD_TIMELINE_COMMENT,
        "application",
        application.id,
        {
            "application_id": application.id,
            "decision_id": row.id,
            "lang": decision_lang(row),
            "text": row.explanation_text,
        },
    )


def decision_lang(row: RoutingDecision) -> str:
    return str((row.inputs or {}).get("lang") or "ru")
