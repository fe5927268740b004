"""The routing engine: one application in, one stored decision out.

`route_application` runs in one transaction: resolve the student, gather and lock
the inputs, decide, then write the application, seats, counters, the decision, the
attempt and the CRM write intents, and commit.
"""

import logging

from sqlalchemy.exc import IntegrityError

from b24app.extensions import db
from b24app.program.identity import IdentityError, IdentityMatch, resolve_student
from b24app.program.messages import language, submitter_message
from b24app.program.models import (
    Application,
    ApplicationAttempt,
    ApplicationStage,
    ApplicationStageChange,
    OutboxKind,
    RoutingDecision,
    RoutingRule,
)
from b24app.program.routing.decide import COMPARED_FIELDS, Decision, decide
from b24app.program.routing.explain import explain, explanation_parts
from b24app.program.routing.inputs import RoutingInputs
from b24app.program.routing.request import (
    ApplicationRequest,
    ReplayResult,
    RoutingOutcome,
)
from b24app.program.routing.snapshot import LockedRows, gather_inputs
from b24app.program.services.outbox import add_outbox
from b24app.program.skills import load_alias_map
from b24app.tenancy.models import Portal, utcnow
from b24app.tenancy.scoping import get_scoped

log = logging.getLogger(__name__)


def route_application(portal_id: int, request: ApplicationRequest) -> RoutingOutcome:
    """Route one application and commit. Rejected attempts are stored too.

    A unique-constraint race on the application row (two identical requests at
    once) is retried once, and the retry finds the first one as a duplicate.
    """
    for attempt in (1, 2):
        try:
            outcome = _route_once(portal_id, request)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
            log.info("portal %s: routing raced another request, retrying", portal_id)
            continue
        except Exception:
            db.session.rollback()
            raise

        log.info(
            "portal %s: application attempt %s %s (student %s, internship %s, "
            "assignee %s)",
            portal_id,
            outcome.attempt_id,
            outcome.reason_code,
            outcome.student_id,
            outcome.internship_id,
            outcome.assignee_user_id,
        )
        return outcome
    raise AssertionError("unreachable")


def _route_once(portal_id: int, request: ApplicationRequest) -> RoutingOutcome:
    portal = db.session.get(Portal, portal_id)
    if portal is None:
        raise ValueError(f"portal {portal_id} not found")
    lang = language(request.lang or portal.lang)
    now = request.submitted_at or utcnow()

    try:
        match = resolve_student(portal_id, request.student, load_alias_map(portal_id))
    except IdentityError as error:
        log.info("portal %s: application rejected: %s", portal_id, error)
        return _record_invalid(portal_id, request, lang)

    inputs, rows = gather_inputs(portal_id, lang, request, match.student, now)
    decision = decide(inputs)
    decision_row = _store_decision(portal_id, inputs, decision)

    application = None
    if decision.accepted:
        application = _write_application(
            portal_id, request, match, inputs, decision, rows
        )
        application.routing_decision_id = decision_row.id
        decision_row.application_id = application.id

    attempt = ApplicationAttempt(
        portal_id=portal_id,
        created_at=now,
        source=request.source,
        accepted=decision.accepted,
        reason_code=decision.reason_code,
        message=submitter_message(decision.reason_code, lang),
        request=request.to_dict(),
        student_id=match.student.id,
        internship_id=decision.internship_id,
        application_id=application.id if application else None,
        decision_id=decision_row.id,
    )
    db.session.add(attempt)
    _queue_crm_writes(portal_id, match, application, decision_row, lang)
    db.session.flush()

    return RoutingOutcome(
        accepted=decision.accepted,
        reason_code=decision.reason_code,
        message=attempt.message,
        lang=lang,
        attempt_id=attempt.id,
        student_id=match.student.id,
        student_created=match.created,
        application_id=application.id if application else None,
        internship_id=decision.internship_id,
        decision_id=decision_row.id,
        assignee_user_id=decision.assignee_user_id,
        rule_id=decision.rule_id,
        score=decision.score,
        explanation=decision_row.explanation_text,
    )


def _record_invalid(
    portal_id: int, request: ApplicationRequest, lang: str
) -> RoutingOutcome:
    attempt = ApplicationAttempt(
        portal_id=portal_id,
        source=request.source,
        accepted=False,
        reason_code="invalid_request",
        message=submitter_message("invalid_request", lang),
        request=request.to_dict(),
        internship_id=None,
    )
    db.session.add(attempt)
    db.session.flush()
    return RoutingOutcome(
        accepted=False,
        reason_code="invalid_request",
        message=attempt.message,
        lang=lang,
        attempt_id=attempt.id,
    )


def _store_decision(
    portal_id: int, inputs: RoutingInputs, decision: Decision
) -> RoutingDecision:
    row = RoutingDecision(
        portal_id=portal_id,
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


def _write_application(
    portal_id: int,
    request: ApplicationRequest,
    match: IdentityMatch,
    inputs: RoutingInputs,
    decision: Decision,
    rows: LockedRows,
) -> Application:
    """Insert the application and take its seat, rule count and cursor step."""
    internship = rows.internships[decision.internship_id]
    facts = next(item for item in inputs.internships if item.id == internship.id)
    partnership = rows.partnerships.get(facts.partnership_id)
    holds_seat = partnership is not None and not internship.open_to_all

    application = Application(
        portal_id=portal_id,
        student_id=match.student.id,
        internship_id=internship.id,
        employer_id=internship.employer_id,
        university_id=match.student.university_id,
        term_id=facts.term_id,
        partnership_id=partnership.id if holds_seat else None,
        stage=ApplicationStage.NEW,
        assigned_user_id=decision.assignee_user_id,
        source=request.source,
        score=decision.score,
    )
    db.session.add(application)
    db.session.flush()
    db.session.add(
        ApplicationStageChange(
            portal_id=portal_id,
            application_id=application.id,
            from_stage=None,
            to_stage=ApplicationStage.NEW,
            reason="routed",
        )
    )

    if holds_seat:
        partnership.seats_used += 1
        allocation = rows.seats.get(internship.id)
        if allocation is not None:
            allocation.seats_used += 1
    if decision.rule_id is not None:
        rule = rows.rules[decision.rule_id]
        rule.routed_count = RoutingRule.routed_count + 1
    if decision.cursor_index is not None:
        rows.cursors[decision.rule_id].last_index = decision.cursor_index
    return application


def _queue_crm_writes(
    portal_id: int,
    match: IdentityMatch,
    application: Application | None,
    decision_row: RoutingDecision,
    lang: str,
) -> None:
    """Queue the CRM contact, the application deal and the timeline comment."""
    student = match.student
    if match.created or application is not None:
        add_outbox(
            portal_id,
            OutboxKind.UPSERT_CONTACT,
            "student",
            student.id,
            {"student_id": student.id, "bitrix_id": student.bitrix_id},
        )
    if application is None:
        return

    add_outbox(
        portal_id,
        OutboxKind.CREATE_APPLICATION_DEAL,
        "application",
        application.id,
        {
            "application_id": application.id,
            "student_id": student.id,
            "internship_id": application.internship_id,
            "assigned_user_id": application.assigned_user_id,
            "stage": application.stage,
        },
    )
    add_outbox(
        portal_id,
        OutboxKind.ADD_TIMELINE_COMMENT,
        "application",
        application.id,
        {
            "application_id": application.id,
            "decision_id": decision_row.id,
            "lang": lang,
            "text": decision_row.explanation_text,
        },
    )


def replay_decision(portal_id: int, decision_id: int) -> ReplayResult:
    """Decide again from the stored inputs and compare with the stored outcome."""
    row = get_scoped(RoutingDecision, portal_id, id=decision_id)
    if row is None:
        raise LookupError(f"routing decision {decision_id} not found")

    replayed = decide(RoutingInputs.from_dict(row.inputs)).to_dict()
    differences = {
        name: [row.outcome.get(name), replayed.get(name)]
        for name in COMPARED_FIELDS
        if row.outcome.get(name) != replayed.get(name)
    }
    return ReplayResult(
        decision_id=row.id,
        same=not differences,
        differences=differences,
        replayed=replayed,
    )
