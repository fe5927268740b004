"""Replaying a stored decision from its stored inputs."""

import pytest

from b24app.extensions import db
from b24app.program.models import RoutingDecision
from b24app.program.routing import replay_decision, route_application
from b24app.program.services.rules import create_rule, delete_rule, list_rules

from .builders import apply


@pytest.fixture
def world(program):
    north = program.university()
    acme = program.employer()
    internship = program.internship(acme, required_skills=["python", "go"])
    program.partnership(north, acme, seats=5)
    create_rule(program.portal_id, "Pool", strategy="round_robin", user_pool=[1, 2])
    return {"program": program, "north": north, "internship": internship}


def route(world, number):
    return route_application(
        world["program"].portal_id,
        apply(
            world["internship"],
            number,
            student_fields={"university_id": world["north"].id, "skills": ["python"]},
        ),
    )


def test_replay_gives_same_decision(world):
    route(world, 1)
    outcome = route(world, 2)

    result = replay_decision(world["program"].portal_id, outcome.decision_id)

    assert outcome.assignee_user_id == 2
    assert result.same
    assert result.differences == {}
    assert result.replayed["assignee_user_id"] == 2
    assert result.replayed["score"] == outcome.score


def test_replay_ignores_later_config_changes(world):
    outcome = route(world, 1)
    for rule in list_rules(world["program"].portal_id):
        delete_rule(world["program"].portal_id, rule.id)

    result = replay_decision(world["program"].portal_id, outcome.decision_id)

    assert result.same


def test_replay_of_rejection(world):
    route(world, 1)
    duplicate = route(world, 1)

    result = replay_decision(world["program"].portal_id, duplicate.decision_id)

    assert duplicate.reason_code == "duplicate"
    assert result.same


def test_replay_reports_differences(world):
    outcome = route(world, 1)
    row = db.session.get(RoutingDecision, outcome.decision_id)
    row.outcome = {**row.outcome, "assignee_user_id": 42}
    db.session.commit()

    result = replay_decision(world["program"].portal_id, outcome.decision_id)

    assert not result.same
    assert result.differences == {"assignee_user_id": [42, 1]}


def test_replay_of_other_portal_not_found(world, other_program):
    outcome = route(world, 1)

    with pytest.raises(LookupError):
        replay_decision(other_program.portal_id, outcome.decision_id)
