"""Reading the routing inputs from the database, with the rows the run will change.

Rows are locked in one order (student, partnerships by id, seat allocations by
internship id, round-robin cursors by rule id), so concurrent runs wait for each
other instead of deadlocking.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from b24app.extensions import db
from b24app.program.models import (
    ACTIVE_STAGES,
    Application,
    ApplicationStage,
    CrmMapping,
    Employer,
    Internship,
    InternshipStatus,
    Partnership,
    PartnershipSeat,
    PartnershipStatus,
    Recruiter,
    RoutingCursor,
    RoutingRule,
    RoutingStrategy,
    Student,
    Term,
    University,
)
from b24app.program.normalize import as_utc, normalize_text
from b24app.program.routing.inputs import (
    InternshipFacts,
    RoutingInputs,
    RuleFacts,
    StudentFacts,
)
from b24app.program.routing.request import ApplicationRequest
from b24app.tenancy.scoping import get_scoped, scoped


@dataclass
class LockedRows:
    """The rows behind the inputs that the engine updates after the decision."""

    internships: dict[int, Internship] = field(default_factory=dict)
    partnerships: dict[int, Partnership] = field(default_factory=dict)
    seats: dict[int, PartnershipSeat] = field(default_factory=dict)
    rules: dict[int, RoutingRule] = field(default_factory=dict)
    cursors: dict[int, RoutingCursor] = field(default_factory=dict)


def gather_inputs(
    portal_id: int,
    lang: str,
    request: ApplicationRequest,
    student: Student,
    now: datetime,
) -> tuple[RoutingInputs, LockedRows]:
    """Read and lock everything `decide()` needs for this request."""
    rows = LockedRows()
    if request.term_id is None:
        request.term_id = current_term_id(portal_id, now)
    inputs = RoutingInputs(
        now=now.isoformat(),
        lang=lang,
        source=request.source,
        pipeline=request.pipeline,
        requested_internship_id=request.internship_id,
        requested_employer_id=request.employer_id,
        requested_programme=request.programme,
        student=_student_facts(portal_id, student),
    )

    candidates = candidate_internships(portal_id, request)
    if candidates is None:
        inputs.rejection_code = "internship_not_found"
        return inputs, rows

    partnerships = _lock_partnerships(portal_id, student, candidates, request, now)
    for internship in candidates:
        rows.internships[internship.id] = internship
        partnership = partnerships.get(internship.id)
        inputs.internships.append(
            _internship_facts(
                portal_id, student, internship, partnership, request, rows
            )
        )

    _gather_rules(portal_id, inputs, rows)
    return inputs, rows


def candidate_internships(
    portal_id: int, request: ApplicationRequest
) -> list[Internship] | None:
    """Load the internships to consider; None when the requested one is missing."""
    if request.internship_id is not None:
        internship = get_scoped(Internship, portal_id, id=request.internship_id)
        return None if internship is None else [internship]

    statement = scoped(Internship, portal_id).where(
        Internship.status == InternshipStatus.OPEN
    )
    if request.employer_id is not None:
        statement = statement.where(Internship.employer_id == request.employer_id)
    internships = db.session.execute(statement.order_by(Internship.id)).scalars()

    requested_programme = normalize_text(request.programme)
    if not requested_programme:
        return list(internships)
    return [
        internship
        for internship in internships
        if requested_programme
        in {normalize_text(name) for name in internship.programmes or []}
    ]


def _student_facts(portal_id: int, student: Student) -> StudentFacts:
    return StudentFacts(
        id=student.id,
        university_id=student.university_id,
        course=student.course,
        programme=student.programme or "",
        skills=list(student.skills or []),
        frozen=student.frozen,
        placed=student.placed,
        university_deleted=_university_deleted(portal_id, student),
    )


def _university_deleted(portal_id: int, student: Student) -> bool:
    if student.university_id is None:
        return False
    university = get_scoped(University, portal_id, id=student.university_id)
    return university is None or university.deleted


def current_term_id(portal_id: int, now: datetime) -> int | None:
    """Return the term whose application window, else whose dates, contain `now`.

    Requests that name no term and internships without one fall under it, so a
    partnership made for the current term counts for them. Several matching
    terms resolve to the one closing first, then the lowest id.
    """
    in_window = and_(
        Term.applications_open_at <= now, Term.applications_close_at >= now
    )
    in_dates = and_(Term.starts_on <= now.date(), Term.ends_on >= now.date())
    for condition, closing in (
        (in_window, Term.applications_close_at),
        (in_dates, Term.ends_on),
    ):
        statement = (
            scoped(Term, portal_id).where(condition).order_by(closing, Term.id).limit(1)
        )
        term = db.session.execute(statement).scalar_one_or_none()
        if term is not None:
            return term.id
    return None


def _term_for(portal_id: int, internship: Internship, request: ApplicationRequest):
    term_id = internship.term_id or request.term_id
    return get_scoped(Term, portal_id, id=term_id) if term_id else None


def _internship_facts(
    portal_id: int,
    student: Student,
    internship: Internship,
    partnership: Partnership | None,
    request: ApplicationRequest,
    rows: LockedRows,
) -> InternshipFacts:
    term = _term_for(portal_id, internship, request)
    opens_at = internship.applications_open_at
    closes_at = internship.applications_close_at
    if term is not None and opens_at is None and closes_at is None:
        opens_at, closes_at = term.applications_open_at, term.applications_close_at

    seat_scope, seats_total, seats_left = None, None, None
    if partnership is not None:
        rows.partnerships[partnership.id] = partnership
        allocation = _lock_allocation(portal_id, partnership, internship)
        if allocation is not None:
            rows.seats[internship.id] = allocation
            seat_scope, seats_total = "internship", allocation.seats
            seats_left = allocation.seats - allocation.seats_used
        else:
            seat_scope, seats_total = "term", partnership.seats_total
            seats_left = partnership.seats_total - partnership.seats_used

    return InternshipFacts(
        id=internship.id,
        title=internship.title,
        employer_id=internship.employer_id,
        status=internship.status,
        opens_at=as_utc(opens_at).isoformat() if opens_at else None,
        closes_at=as_utc(closes_at).isoformat() if closes_at else None,
        required_skills=list(internship.required_skills or []),
        programmes=list(internship.programmes or []),
        min_course=internship.min_course,
        max_course=internship.max_course,
        open_to_all=internship.open_to_all,
        university_ids=internship.university_ids,
        already_applied=_already_applied(portal_id, student, internship),
        term_id=term.id if term else None,
        term_cap=term.max_active_applications if term else None,
        term_active_count=_active_count(portal_id, student, term),
        term_freeze_placed=term.freeze_placed if term else False,
        partnership_id=partnership.id if partnership else None,
        seat_scope=seat_scope,
        seats_total=seats_total,
        seats_left=seats_left,
        responsible_user_id=internship.responsible_user_id,
        employer_deleted=_employer_deleted(portal_id, internship),
    )


def _employer_deleted(portal_id: int, internship: Internship) -> bool:
    employer = get_scoped(Employer, portal_id, id=internship.employer_id)
    return employer is None or employer.deleted


def _already_applied(portal_id: int, student: Student, internship: Internship) -> bool:
    statement = (
        scoped(Application, portal_id)
        .filter_by(student_id=student.id, internship_id=internship.id)
        .where(Application.stage != ApplicationStage.WITHDRAWN)
    )
    return db.session.execute(statement.limit(1)).first() is not None


def _active_count(portal_id: int, student: Student, term: Term | None) -> int:
    if term is None:
        return 0
    statement = (
        select(func.count(Application.id))
        .where(Application.portal_id == portal_id)
        .where(Application.student_id == student.id)
        .where(Application.term_id == term.id)
        .where(Application.stage.in_(ACTIVE_STAGES))
    )
    return db.session.execute(statement).scalar_one()


def find_partnership(
    portal_id: int,
    university_id: int,
    employer_id: int,
    term_id: int | None,
    today,
) -> Partnership | None:
    """Find the active partnership for this term, else one covering `today`."""
    undated = and_(
        Partnership.term_id.is_(None),
        or_(Partnership.starts_on.is_(None), Partnership.starts_on <= today),
        or_(Partnership.ends_on.is_(None), Partnership.ends_on >= today),
    )
    period = (
        undated if term_id is None else or_(Partnership.term_id == term_id, undated)
    )
    statement = (
        scoped(Partnership, portal_id)
        .where(Partnership.university_id == university_id)
        .where(Partnership.employer_id == employer_id)
        .where(Partnership.status == PartnershipStatus.ACTIVE)
        .where(period)
        .order_by(Partnership.term_id.is_(None), Partnership.id)
    )
    return db.session.execute(statement.limit(1)).scalar_one_or_none()


def _lock_partnerships(
    portal_id: int,
    student: Student,
    internships: list[Internship],
    request: ApplicationRequest,
    now: datetime,
) -> dict[int, Partnership]:
    """Find each internship's partnership, then lock them all in id order."""
    if student.university_id is None:
        return {}
    found: dict[int, int] = {}
    for internship in internships:
        if internship.open_to_all:
            continue
        term_id = internship.term_id or request.term_id
        partnership = find_partnership(
            portal_id,
            student.university_id,
            internship.employer_id,
            term_id,
            now.date(),
        )
        if partnership is not None:
            found[internship.id] = partnership.id
    if not found:
        return {}

    statement = (
        scoped(Partnership, portal_id)
        .where(Partnership.id.in_(sorted(set(found.values()))))
        .order_by(Partnership.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    locked = {row.id: row for row in db.session.execute(statement).scalars()}
    return {internship_id: locked[pid] for internship_id, pid in found.items()}


def _lock_allocation(
    portal_id: int, partnership: Partnership, internship: Internship
) -> PartnershipSeat | None:
    statement = (
        scoped(PartnershipSeat, portal_id)
        .filter_by(partnership_id=partnership.id, internship_id=internship.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return db.session.execute(statement).scalar_one_or_none()


def _gather_rules(portal_id: int, inputs: RoutingInputs, rows: LockedRows) -> None:
    statement = (
        scoped(RoutingRule, portal_id)
        .where(RoutingRule.active.is_(True))
        .order_by(RoutingRule.position, RoutingRule.id)
    )
    rules = list(db.session.execute(statement).scalars())
    # Locking the cursors of round-robin and least-loaded rules orders the runs
    # that use them, so each one reads the loads the previous run committed.
    locked = (RoutingStrategy.ROUND_ROBIN, RoutingStrategy.LEAST_LOADED)
    rows.cursors = lock_cursors(
        portal_id, [rule.id for rule in rules if rule.strategy in locked]
    )

    for rule in rules:
        rows.rules[rule.id] = rule
        cursor = rows.cursors.get(rule.id)
        inputs.rules.append(
            RuleFacts(
                id=rule.id,
                name=rule.name,
                position=rule.position,
                is_default=rule.is_default,
                conditions=dict(rule.conditions or {}),
                strategy=rule.strategy,
                user_pool=[int(user) for user in rule.user_pool or []],
                fixed_user_id=rule.fixed_user_id,
                cursor_last_index=cursor.last_index if cursor else -1,
            )
        )

    inputs.inactive_user_ids = _inactive_users(portal_id)
    loaded = [rule for rule in rules if rule.strategy == RoutingStrategy.LEAST_LOADED]
    pool = sorted({int(user) for rule in loaded for user in rule.user_pool or []})
    inputs.open_loads = open_loads(portal_id, pool)
    mapping = get_scoped(CrmMapping, portal_id)
    inputs.fallback_user_id = mapping.fallback_user_id if mapping else None


def lock_cursors(portal_id: int, rule_ids: list[int]) -> dict[int, RoutingCursor]:
    """Create missing rule cursors, then lock them in rule id order."""
    if not rule_ids:
        return {}
    existing = set(
        db.session.execute(
            select(RoutingCursor.rule_id).where(RoutingCursor.rule_id.in_(rule_ids))
        ).scalars()
    )
    for rule_id in sorted(set(rule_ids) - existing):
        try:
            with db.session.begin_nested():
                db.session.add(RoutingCursor(portal_id=portal_id, rule_id=rule_id))
        except IntegrityError:
            pass  # Another run created it; the lock below waits for that run.

    statement = (
        scoped(RoutingCursor, portal_id)
        .where(RoutingCursor.rule_id.in_(rule_ids))
        .order_by(RoutingCursor.rule_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.rule_id: row for row in db.session.execute(statement).scalars()}


def _inactive_users(portal_id: int) -> list[int]:
    statement = (
        select(Recruiter.bitrix_user_id)
        .where(Recruiter.portal_id == portal_id)
        .where(Recruiter.active.is_(False))
        .order_by(Recruiter.bitrix_user_id)
    )
    return list(db.session.execute(statement).scalars())


def open_loads(portal_id: int, user_ids: list[int]) -> dict[str, int]:
    """Count open (active-stage) applications per user, keyed by the id as a string."""
    if not user_ids:
        return {}
    statement = (
        select(Application.assigned_user_id, func.count(Application.id))
        .where(Application.portal_id == portal_id)
        .where(Application.assigned_user_id.in_(user_ids))
        .where(Application.stage.in_(ACTIVE_STAGES))
        .group_by(Application.assigned_user_id)
    )
    counts = {str(user): 0 for user in user_ids}
    for user_id, count in db.session.execute(statement):
        counts[str(user_id)] = count
    return counts
