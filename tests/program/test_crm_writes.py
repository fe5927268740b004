"""CRM write intents and the timeline explanation."""

import pytest

from b24app.extensions import db
from b24app.program.models import CrmOutbox, OutboxStatus
from b24app.program.routing import route_application
from b24app.program.services.outbox import claim_pending, mark_failed, mark_sent
from b24app.program.services.rules import create_rule

from .builders import Program, apply, make_portal


def build(program):
    north = program.university("North")
    acme = program.employer("Acme")
    program.internship(acme, "Java role", required_skills=["java"])
    internship = program.internship(
        acme,
        "Python role",
        required_skills=["python", "go"],
        programmes=["Data Science"],
    )
    program.partnership(north, acme, seats=3)
    program.recruiter(4, active=False)
    create_rule(
        program.portal_id,
        "Backend pool",
        strategy="round_robin",
        user_pool=[4, 5],
        conditions={"skills_any": ["python"]},
    )
    return north, internship


def outbox_rows(portal_id):
    statement = (
        db.select(CrmOutbox)
        .where(CrmOutbox.portal_id == portal_id)
        .order_by(CrmOutbox.id)
    )
    return list(db.session.execute(statement).scalars())


def test_accepted_queues_contact_deal_comment(program):
    north, internship = build(program)

    outcome = route_application(
        program.portal_id,
        apply(
            internship, student_fields={"university_id": north.id, "skills": ["python"]}
        ),
    )

    rows = outbox_rows(program.portal_id)
    assert [row.kind for row in rows] == [
        "upsert_contact",
        "create_application_deal",
        "add_timeline_comment",
    ]
    assert rows[1].payload["application_id"] == outcome.application_id
    assert rows[1].payload["assigned_user_id"] == 5
    assert rows[2].payload["text"] == outcome.explanation


def test_rejection_of_known_student_queues_nothing(program):
    north, internship = build(program)
    fields = {"university_id": north.id}
    route_application(program.portal_id, apply(internship, student_fields=fields))
    before = len(outbox_rows(program.portal_id))

    duplicate = route_application(
        program.portal_id, apply(internship, student_fields=fields)
    )

    assert duplicate.reason_code == "duplicate"
    assert len(outbox_rows(program.portal_id)) == before


def test_explanation_in_english(app):
    program = Program(make_portal(lang="en"))
    north, internship = build(program)

    outcome = route_application(
        program.portal_id,
        apply(
            internship,
            student_fields={
                "university_id": north.id,
                "skills": ["Python"],
                "programme": "Data Engineering",
            },
        ),
    )

    # The request names one internship, so no other is considered, and the one
    # rule fired (skipping inactive user 4), so no alternative is listed.
    assert outcome.explanation == (
        "Rule «Backend pool» fired because the student has one of the skills; "
        "assigned to user 5 (round robin); "
        "score 0.57 = skills 0.30 + course 0.20 + programme 0.07; "
        "seats left 2 of 3; alternatives considered: none."
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Rule «Backend pool» fired because the student has one of the skills"),
        ("ru", "Сработало правило «Backend pool», потому что у студента есть"),
    ],
)
def test_explanation_language(app, lang, expected):
    program = Program(make_portal(lang=lang))
    north, internship = build(program)

    outcome = route_application(
        program.portal_id,
        apply(internship, student_fields={"university_id": north.id, "skills": ["py"]}),
    )

    assert outcome.explanation.startswith(expected)
    assert "0.50 = " in outcome.explanation
    assert " 0.30 + " in outcome.explanation


def test_outbox_claim_and_mark(program):
    north, internship = build(program)
    route_application(
        program.portal_id,
        apply(internship, student_fields={"university_id": north.id}),
    )

    claimed = claim_pending(program.portal_id, limit=2)
    mark_sent(claimed[0])
    mark_failed(claimed[1], "HTTP 503", max_attempts=1)
    db.session.commit()

    statuses = [row.status for row in outbox_rows(program.portal_id)]
    assert statuses == [OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.PENDING]
