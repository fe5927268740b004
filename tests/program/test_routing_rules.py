"""Which recruiter gets the application: rules, strategies and fallbacks."""

from dataclasses import dataclass, field

import pytest

from b24app.program.routing import route_application
from b24app.program.services.rules import create_rule, update_rule

from .builders import apply


@pytest.fixture
def world(program):
    north = program.university("North")
    south = program.university("South")
    acme = program.employer("Acme")
    internship = program.internship(
        acme,
        required_skills=["python", "sql"],
        min_course=2,
        max_course=4,
        responsible_user_id=55,
    )
    program.partnership(north, acme, seats=10)
    program.partnership(south, acme, seats=10)
    return {
        "program": program,
        "north": north,
        "south": south,
        "acme": acme,
        "internship": internship,
    }


@dataclass
class Case:
    name: str
    rules: list[dict]
    expected_user: int | None
    expected_rule: str | None
    student: dict = field(default_factory=dict)
    inactive: tuple[int, ...] = ()
    fallback_user: int | None = None
    request: dict = field(default_factory=dict)
    no_owner: bool = False


def ids(world, names):
    return [world[name].id for name in names]


CASES = [
    Case("no rules: internship owner", [], 55, None),
    Case(
        "no rules, no owner: portal fallback",
        [],
        99,
        None,
        fallback_user=99,
        no_owner=True,
    ),
    Case("no rules, nothing set: unassigned", [], None, None, no_owner=True),
    Case(
        "university rule before generic rule",
        [
            {
                "name": "South desk",
                "fixed_user_id": 2,
                "conditions": {"university_ids": ["south"]},
            },
            {
                "name": "North desk",
                "fixed_user_id": 1,
                "conditions": {"university_ids": ["north"]},
            },
            {"name": "Anyone", "fixed_user_id": 3},
        ],
        1,
        "North desk",
    ),
    Case(
        "first matching rule wins",
        [
            {"name": "First", "fixed_user_id": 1},
            {"name": "Second", "fixed_user_id": 2},
        ],
        1,
        "First",
    ),
    Case(
        "default rule placed first still runs last",
        [
            {"name": "Default", "fixed_user_id": 9, "is_default": True},
            {
                "name": "Acme",
                "fixed_user_id": 4,
                "conditions": {"employer_ids": ["acme"]},
            },
        ],
        4,
        "Acme",
    ),
    Case(
        "no rule matches: default rule",
        [
            {
                "name": "South only",
                "fixed_user_id": 2,
                "conditions": {"university_ids": ["south"]},
            },
            {"name": "Default", "fixed_user_id": 9, "is_default": True},
        ],
        9,
        "Default",
    ),
    Case(
        "skills condition matches a Cyrillic alias",
        [
            {
                "name": "Python",
                "fixed_user_id": 5,
                "conditions": {"skills_any": ["python"]},
            },
            {"name": "Default", "fixed_user_id": 9, "is_default": True},
        ],
        5,
        "Python",
        student={"skills": ["Питон"]},
    ),
    Case(
        "score below minimum skips the rule",
        [
            {"name": "Strong", "fixed_user_id": 6, "conditions": {"score_min": 0.9}},
            {"name": "Weak", "fixed_user_id": 7, "conditions": {"score_max": 0.5}},
        ],
        7,
        "Weak",
        student={"skills": [], "course": 1},
    ),
    Case(
        "pipeline and source conditions",
        [
            {
                "name": "Import desk",
                "fixed_user_id": 8,
                "conditions": {"sources": ["import"]},
            },
            {
                "name": "Pipeline B",
                "fixed_user_id": 3,
                "conditions": {"pipelines": ["B"]},
            },
        ],
        3,
        "Pipeline B",
        request={"pipeline": "B", "source": "api"},
    ),
    Case(
        "inactive fixed user: next rule",
        [
            {"name": "Away", "fixed_user_id": 1},
            {"name": "Here", "fixed_user_id": 2},
        ],
        2,
        "Here",
        inactive=(1,),
    ),
    Case(
        "whole pool inactive: default rule",
        [
            {"name": "Pool", "strategy": "round_robin", "user_pool": [1, 2]},
            {"name": "Default", "fixed_user_id": 9, "is_default": True},
        ],
        9,
        "Default",
        inactive=(1, 2),
    ),
    Case(
        "round robin skips inactive first user",
        [{"name": "Pool", "strategy": "round_robin", "user_pool": [1, 2, 3]}],
        2,
        "Pool",
        inactive=(1,),
    ),
    Case(
        "disabled rule is ignored",
        [
            {"name": "Off", "fixed_user_id": 1, "active": False},
            {"name": "On", "fixed_user_id": 2},
        ],
        2,
        "On",
    ),
    Case(
        "inactive default user: internship owner",
        [{"name": "Default", "fixed_user_id": 9, "is_default": True}],
        55,
        None,
        inactive=(9,),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_assignment(world, case):
    program = world["program"]
    internship = world["internship"]
    if case.no_owner:
        internship.responsible_user_id = None
    for user_id in case.inactive:
        program.recruiter(user_id, active=False)
    if case.fallback_user:
        program.fallback_user(case.fallback_user)
    rules = {}
    for spec in case.rules:
        spec = dict(spec)
        conditions = dict(spec.pop("conditions", {}))
        for key in ("university_ids", "employer_ids"):
            if key in conditions:
                conditions[key] = ids(world, conditions[key])
        rule = create_rule(program.portal_id, conditions=conditions, **spec)
        rules[rule.name] = rule

    student = {"university_id": world["north"].id, "skills": ["python"], "course": 3}
    student.update(case.student)
    outcome = route_application(
        program.portal_id,
        apply(internship, student_fields=student, **case.request),
    )

    assert outcome.accepted, outcome.reason_code
    assert outcome.assignee_user_id == case.expected_user
    expected_rule_id = rules[case.expected_rule].id if case.expected_rule else None
    assert outcome.rule_id == expected_rule_id


def test_round_robin_cycles_and_persists(world):
    program = world["program"]
    create_rule(
        program.portal_id, "Pool", strategy="round_robin", user_pool=[11, 12, 13]
    )
    north = world["north"].id

    assignees = []
    for number in range(1, 6):
        outcome = route_application(
            program.portal_id,
            apply(world["internship"], number, student_fields={"university_id": north}),
        )
        assignees.append(outcome.assignee_user_id)

    assert assignees == [11, 12, 13, 11, 12]


def test_round_robin_restarts_after_pool_change(world):
    program = world["program"]
    rule = create_rule(
        program.portal_id, "Pool", strategy="round_robin", user_pool=[11, 12]
    )
    north = world["north"].id
    route_application(
        program.portal_id,
        apply(world["internship"], 1, student_fields={"university_id": north}),
    )
    update_rule(program.portal_id, rule.id, user_pool=[21, 22])

    outcome = route_application(
        program.portal_id,
        apply(world["internship"], 2, student_fields={"university_id": north}),
    )

    assert outcome.assignee_user_id == 21


def test_least_loaded_picks_fewest_open(world):
    program = world["program"]
    north = world["north"].id
    warmup = create_rule(program.portal_id, "Warmup", fixed_user_id=1)
    for number in (1, 2):
        route_application(
            program.portal_id,
            apply(world["internship"], number, student_fields={"university_id": north}),
        )
    update_rule(program.portal_id, warmup.id, active=False)
    create_rule(program.portal_id, "Load", strategy="least_loaded", user_pool=[1, 2, 3])

    assignees = []
    for number in (3, 4, 5):
        outcome = route_application(
            program.portal_id,
            apply(world["internship"], number, student_fields={"university_id": north}),
        )
        assignees.append(outcome.assignee_user_id)

    assert assignees == [2, 3, 2]


def test_rule_counts_routed_applications(world):
    program = world["program"]
    rule = create_rule(program.portal_id, "All", fixed_user_id=1)
    north = world["north"].id
    for number in (1, 2, 3):
        route_application(
            program.portal_id,
            apply(world["internship"], number, student_fields={"university_id": north}),
        )

    assert rule.routed_count == 3
