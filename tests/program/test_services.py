"""Rule, term and partnership services: validation, order, cursor reset."""

from datetime import UTC, date, datetime

import pytest

from b24app.extensions import db
from b24app.program.errors import ProgramError
from b24app.program.models import RoutingCursor
from b24app.program.routing import route_application
from b24app.program.services.partnerships import (
    create_partnership,
    set_internship_seats,
    update_partnership,
)
from b24app.program.services.rules import (
    create_rule,
    delete_rule,
    list_rules,
    reorder_rules,
    update_rule,
)
from b24app.program.services.terms import create_term, delete_term, update_term

from .builders import apply


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": " "}, "needs a name"),
        ({"strategy": "random"}, "unknown strategy"),
        ({"strategy": "fixed"}, "needs fixed_user_id"),
        ({"strategy": "round_robin"}, "non-empty user_pool"),
        ({"strategy": "least_loaded", "user_pool": ["x"]}, "user_pool must list"),
        ({"conditions": {"colour": ["red"]}}, "unknown rule conditions"),
        ({"conditions": {"score_min": 2}}, "from 0 to 1"),
        ({"conditions": {"score_min": 0.8, "score_max": 0.2}}, "greater than"),
        ({"priority": 1}, "unknown rule fields"),
    ],
)
def test_create_rule_rejects(program, fields, message):
    values = {"name": "Rule", "fixed_user_id": 1}
    values.update(fields)
    if fields.get("strategy") == "fixed":
        values.pop("fixed_user_id")
    name = values.pop("name")

    with pytest.raises(ProgramError, match=message):
        create_rule(program.portal_id, name, **values)


def test_create_rule_normalizes_skills(program):
    rule = create_rule(
        program.portal_id,
        "Frontend",
        fixed_user_id=1,
        conditions={"skills_any": ["JS", "Реакт"], "sources": ["form", "api"]},
    )

    assert rule.conditions == {
        "skills_any": ["javascript", "react"],
        "sources": ["api", "form"],
    }


def test_rules_are_appended_and_reordered(program):
    first = create_rule(program.portal_id, "First", fixed_user_id=1)
    second = create_rule(program.portal_id, "Second", fixed_user_id=2)
    third = create_rule(program.portal_id, "Third", fixed_user_id=3)

    reorder_rules(program.portal_id, [third.id, first.id, second.id])

    names = [rule.name for rule in list_rules(program.portal_id)]
    assert names == ["Third", "First", "Second"]


def test_reorder_must_list_every_rule(program):
    first = create_rule(program.portal_id, "First", fixed_user_id=1)
    create_rule(program.portal_id, "Second", fixed_user_id=2)

    with pytest.raises(ProgramError, match="each rule once"):
        reorder_rules(program.portal_id, [first.id, first.id])


def test_reordered_rule_fires_first(program):
    university = program.university()
    employer = program.employer()
    internship = program.internship(employer)
    program.partnership(university, employer)
    first = create_rule(program.portal_id, "First", fixed_user_id=1)
    second = create_rule(program.portal_id, "Second", fixed_user_id=2)
    reorder_rules(program.portal_id, [second.id, first.id])

    outcome = route_application(
        program.portal_id,
        apply(internship, student_fields={"university_id": university.id}),
    )

    assert outcome.assignee_user_id == 2


def test_strategy_change_resets_cursor(program):
    rule = create_rule(
        program.portal_id, "Pool", strategy="round_robin", user_pool=[1, 2]
    )
    db.session.add(
        RoutingCursor(portal_id=program.portal_id, rule_id=rule.id, last_index=1)
    )
    db.session.commit()

    update_rule(program.portal_id, rule.id, strategy="least_loaded")

    cursor = db.session.execute(db.select(RoutingCursor)).scalar_one()
    assert cursor.last_index == -1


def test_delete_rule(program):
    rule = create_rule(program.portal_id, "Gone", fixed_user_id=1)

    delete_rule(program.portal_id, rule.id)

    assert list_rules(program.portal_id) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"applications_open_at": datetime(2027, 1, 1)}, "time zone"),
        (
            {
                "applications_open_at": datetime(2027, 2, 1, tzinfo=UTC),
                "applications_close_at": datetime(2027, 1, 1, tzinfo=UTC),
            },
            "is after",
        ),
        ({"starts_on": date(2027, 7, 1), "ends_on": date(2027, 6, 1)}, "is after"),
        ({"max_active_applications": -1}, "0 or more"),
        ({"placed_at_stage": "interview"}, "offer or hired"),
        ({"colour": "red"}, "unknown term fields"),
    ],
)
def test_create_term_rejects(program, fields, message):
    with pytest.raises(ProgramError, match=message):
        create_term(program.portal_id, "Summer", **fields)


def test_term_update_and_delete(program):
    term = create_term(program.portal_id, "Summer", max_active_applications=3)

    update_term(program.portal_id, term.id, max_active_applications=5)
    assert term.max_active_applications == 5

    delete_term(program.portal_id, term.id)
    with pytest.raises(LookupError):
        update_term(program.portal_id, term.id, name="Again")


def test_allocations_cannot_exceed_total(program):
    university = program.university()
    employer = program.employer()
    first = program.internship(employer, "First")
    second = program.internship(employer, "Second")
    partnership = create_partnership(
        program.portal_id, university.id, employer.id, seats_total=3
    )
    set_internship_seats(program.portal_id, partnership.id, first.id, 2)

    with pytest.raises(ProgramError, match="add up to 4"):
        set_internship_seats(program.portal_id, partnership.id, second.id, 2)
    with pytest.raises(ProgramError, match="less than the 2 seats"):
        update_partnership(program.portal_id, partnership.id, seats_total=1)


def test_allocation_needs_same_employer(program):
    university = program.university()
    acme = program.employer("Acme")
    globex = program.employer("Globex")
    internship = program.internship(globex)
    partnership = create_partnership(
        program.portal_id, university.id, acme.id, seats_total=3
    )

    with pytest.raises(ProgramError, match="not to the partnership's employer"):
        set_internship_seats(program.portal_id, partnership.id, internship.id, 1)


def test_allocation_removed_with_none(program):
    university = program.university()
    employer = program.employer()
    internship = program.internship(employer)
    partnership = create_partnership(
        program.portal_id, university.id, employer.id, seats_total=3
    )
    set_internship_seats(program.portal_id, partnership.id, internship.id, 1)

    removed = set_internship_seats(
        program.portal_id, partnership.id, internship.id, None
    )

    assert removed is None
    db.session.refresh(partnership)
    assert partnership.seat_allocations == []
