"""Deal tab: internship applicants with filters and actions, application details."""

import pytest

from b24app.extensions import db
from b24app.program.models import (
    Application,
    ApplicationStageChange,
    CrmOutbox,
    OutboxKind,
    RoutingDecision,
)

from .placement_support import application_of, headers, non_admin
from .support import XSS, install_portal, seed_mirror

DEAL_TAB = ("/b24/placement/deal", "CRM_DEAL_DETAIL_TAB")


def open_deal(client, portal_server, deal_id, user_id=1, lang="ru"):
    from .support import frame_post

    return frame_post(
        client, portal_server, *DEAL_TAB, {"ID": str(deal_id)}, user_id, lang
    )


def test_internship_tab_lists_applicants_and_seats(client, portal_server, mirror):
    application = application_of(mirror)

    response = open_deal(client, portal_server, mirror.deal_id)

    assert response.status_code == 200
    assert f'data-application="{application.id}"' in response.text
    assert 'data-seats="' in response.text
    assert 'data-action="reroute"' in response.text


def test_internship_title_xss_is_escaped(client, portal_server, mirror):
    response = open_deal(client, portal_server, mirror.deal_id)

    assert XSS not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("stage=screening", True),
        ("stage=new", False),
        ("stage=bogus", True),
        ("university_id=999999", False),
        ("university_id=abc", True),
    ],
)
def test_applicant_filters(client, mirror, query, shown):
    application = application_of(mirror)

    response = client.get(
        f"/b24/placement/internships/{mirror.internship.id}/applicants?{query}",
        headers=headers(mirror),
    )

    assert response.status_code == 200
    assert (f'data-application="{application.id}"' in response.text) is shown


def test_applicants_of_other_portal_not_found(client, portal_server, mirror):
    other = seed_mirror(portal_server, install_portal(portal_server, "3" * 32))

    response = client.get(
        f"/b24/placement/internships/{other.internship.id}/applicants",
        headers=headers(mirror),
    )

    assert response.status_code == 404


def test_move_stage_writes_locally_and_queues_crm(client, mirror):
    application = application_of(mirror)

    response = client.post(
        f"/b24/placement/applications/{application.id}/stage",
        data={"stage": "interview", "view": "internship"},
        headers=non_admin(mirror),
    )

    db.session.refresh(application)
    intent = db.session.execute(
        db.select(CrmOutbox).where(CrmOutbox.entity_id == application.id)
    ).scalar_one()
    assert response.status_code == 200
    assert application.stage == "interview"
    assert intent.kind == OutboxKind.UPDATE_APPLICATION_DEAL
    assert intent.payload["stage"] == "interview"
    assert "b24app:crm-changed" in response.headers["HX-Trigger"]
    assert 'data-pending="1"' in response.text
    assert 'data-applicants="' in response.text


def test_move_stage_records_user(client, mirror):
    application = application_of(mirror)

    client.post(
        f"/b24/placement/applications/{application.id}/stage",
        data={"stage": "offer"},
        headers=headers(mirror, user_id=7, admin=False),
    )

    change = db.session.execute(
        db.select(ApplicationStageChange).where(
            ApplicationStageChange.application_id == application.id
        )
    ).scalar_one()
    assert change.changed_by_user_id == 7
    assert change.to_stage == "offer"


@pytest.mark.parametrize("stage", ["bogus", "", "<script>"])
def test_move_stage_bad_stage_rejected(client, mirror, stage):
    application = application_of(mirror)

    response = client.post(
        f"/b24/placement/applications/{application.id}/stage",
        data={"stage": stage},
        headers=headers(mirror),
    )

    db.session.refresh(application)
    assert response.status_code == 422
    assert application.stage == "screening"
    assert "HX-Trigger" not in response.headers
    assert "<script>" not in response.text


def test_reject_with_reason(client, mirror):
    application = application_of(mirror)

    response = client.post(
        f"/b24/placement/applications/{application.id}/reject",
        data={"reason": "SKILLS"},
        headers=headers(mirror),
    )

    db.session.refresh(application)
    assert response.status_code == 200
    assert application.stage == "rejected"
    assert application.rejection_reason == "SKILLS"
    assert 'data-rejection-reason="SKILLS"' in response.text


def test_reject_unknown_reason_rejected(client, mirror):
    application = application_of(mirror)

    response = client.post(
        f"/b24/placement/applications/{application.id}/reject",
        data={"reason": "BECAUSE"},
        headers=headers(mirror),
    )

    db.session.refresh(application)
    assert response.status_code == 422
    assert application.stage == "screening"


def test_reroute_stores_new_decision(client, mirror):
    application = application_of(mirror)
    old_decision = application.routing_decision_id

    response = client.post(
        f"/b24/placement/applications/{application.id}/reroute",
        headers=headers(mirror),
    )

    db.session.refresh(application)
    decisions = (
        db.session.execute(
            db.select(RoutingDecision).where(
                RoutingDecision.application_id == application.id
            )
        )
        .scalars()
        .all()
    )
    assert response.status_code == 200
    assert len(decisions) == 2
    assert application.routing_decision_id != old_decision
    assert application.assigned_user_id == 2
    assert 'data-decisions="2"' in response.text
    assert "b24app:crm-changed" in response.headers["HX-Trigger"]


def test_reroute_keeps_seat_count(client, mirror):
    application = application_of(mirror)

    client.post(
        f"/b24/placement/applications/{application.id}/reroute",
        headers=headers(mirror),
    )

    rows = db.session.execute(db.select(Application)).scalars().all()
    assert len(rows) == 1


@pytest.mark.parametrize("action", ["stage", "reject", "reroute"])
def test_action_on_other_portals_application_not_found(
    client, portal_server, mirror, action
):
    other = seed_mirror(portal_server, install_portal(portal_server, "4" * 32))
    application = application_of(other)

    response = client.post(
        f"/b24/placement/applications/{application.id}/{action}",
        data={"stage": "interview", "reason": "SKILLS"},
        headers=headers(mirror),
    )

    db.session.refresh(application)
    assert response.status_code == 404
    assert application.stage == "screening"


@pytest.mark.parametrize("application_id", ["0", "abc", "-1", "99999999"])
def test_action_bad_ids_not_found(client, mirror, application_id):
    response = client.post(
        f"/b24/placement/applications/{application_id}/stage",
        data={"stage": "interview"},
        headers=headers(mirror),
    )

    assert response.status_code == 404


def test_action_without_session_rejected(client, mirror):
    application = application_of(mirror)

    response = client.post(
        f"/b24/placement/applications/{application.id}/stage",
        data={"stage": "interview"},
    )

    assert response.status_code == 401


def test_application_tab_explains_match_and_history(client, portal_server, mirror):
    application = application_of(mirror)
    decision = db.session.get(RoutingDecision, application.routing_decision_id)
    decision.outcome = {
        "score_parts": {"skills": 0.42, "course": 0.2, "programme": 0.2}
    }
    db.session.commit()

    response = open_deal(client, portal_server, mirror.application_deal_id, lang="en")

    assert response.status_code == 200
    assert "data-application-title" in response.text
    assert 'data-part="skills"' in response.text
    assert "0.42" in response.text
    assert 'data-decisions="1"' in response.text
    assert "Анна Пример" in response.text
    assert 'data-action="stage"' in response.text


def test_application_action_from_plain_form(client, mirror):
    application = application_of(mirror)
    token = headers(mirror)["X-B24App-Session"]

    response = client.post(
        f"/b24/placement/applications/{application.id}/stage",
        data={"stage": "interview", "_session": token},
    )

    assert response.status_code == 200
    assert "<html" in response.text
    assert 'data-stage="interview"' in response.text


def test_other_deal_explains_itself(client, portal_server, mirror):
    response = open_deal(client, portal_server, 4242, lang="en")

    assert response.status_code == 200
    assert 'data-deal="4242"' in response.text
    assert "not part of the internship program" in response.text
