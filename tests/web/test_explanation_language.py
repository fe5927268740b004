"""Routing explanations read in the viewer's language; the timeline text stays."""

from b24app.extensions import db
from b24app.program.models import Application, RoutingDecision
from b24app.program.routing.decide import Decision
from b24app.program.routing.explain import explain, explanation_parts

from .placement_support import application_of
from .support import add_open_internship, frame_post, user_session

DEAL_TAB = ("/b24/placement/deal", "CRM_DEAL_DETAIL_TAB")

DECISION = Decision(
    accepted=True,
    reason_code="rule_matched",
    rule_name="Вузы-партнёры",
    assigned_via="rule",
    strategy="fixed",
    matched_conditions=["university_ids"],
    assignee_user_id=2,
    score=0.82,
    score_parts={"skills": 0.6, "course": 0.12, "programme": 0.1},
    seats_left=3,
    seats_total=5,
)


def store_parts(mirror) -> RoutingDecision:
    decision = db.session.get(
        RoutingDecision, application_of(mirror).routing_decision_id
    )
    decision.explanation_text = explain(DECISION, "ru")
    decision.explanation_parts = explanation_parts(DECISION)
    db.session.commit()
    return decision


def open_application(client, server, mirror, lang):
    options = {"ID": str(mirror.application_deal_id)}
    return frame_post(client, server, *DEAL_TAB, options, 1, lang)


def test_explanation_in_russian(client, portal_server, mirror):
    store_parts(mirror)

    response = open_application(client, portal_server, mirror, "ru")

    assert "Сработало правило «Вузы-партнёры», потому что совпал вуз" in response.text
    assert "осталось мест 2 из 5" in response.text


def test_explanation_in_english(client, portal_server, mirror):
    store_parts(mirror)

    response = open_application(client, portal_server, mirror, "en")

    assert "Rule «Вузы-партнёры» fired because the university matches" in response.text
    assert "assigned to user 2 (fixed user)" in response.text
    assert "seats left 2 of 5" in response.text
    assert "Сработало правило" not in response.text


def test_old_decision_shows_stored_text(client, portal_server, mirror):
    response = open_application(client, portal_server, mirror, "en")

    assert "Правило «Вузы-партнёры»: навыки 2/2" in response.text


def test_timeline_text_unchanged_by_parts():
    parts_text = explain(DECISION, "en")

    assert parts_text.startswith("Rule «Вузы-партнёры» fired because the university")
    assert "score 0.82 = skills 0.60 + course 0.12 + programme 0.10" in parts_text
    assert parts_text.endswith("alternatives considered: none.")


def test_rejected_decision_parts_render():
    rejected = Decision(accepted=False, reason_code="duplicate")

    assert explanation_parts(rejected) == [{"code": "rejected", "reason": "duplicate"}]
    assert explain(rejected, "ru").startswith("Заявка отклонена: ")


def test_routing_stores_parts(client, mirror):
    internship = add_open_internship(mirror, "Аналитик данных")
    client.post(
        f"/b24/placement/contact/{mirror.student.id}/apply",
        data={"internship_id": str(internship.id)},
        headers={"X-B24App-Session": user_session(mirror.portal.id, None, 1, True)},
    )

    application = db.session.execute(
        db.select(Application).where(Application.internship_id == internship.id)
    ).scalar_one()
    decision = db.session.get(RoutingDecision, application.routing_decision_id)
    assert decision.explanation_parts[0]["code"] in ("rule", "default_rule")
    assert decision.explanation_text.endswith(".")
