"""Per-user CRM permissions: card tabs and actions follow the user's CRM role."""

import pytest

from b24app.extensions import db
from b24app.program.models import Application

from .placement_support import application_of, headers
from .support import frame_post, install_portal, user_session

DEAL_TAB = ("/b24/placement/deal", "CRM_DEAL_DETAIL_TAB")
CONTACT_TAB = ("/b24/placement/contact", "CRM_CONTACT_DETAIL_TAB")
COMPANY_TAB = ("/b24/placement/company", "CRM_COMPANY_DETAIL_TAB")


def open_tab(client, server, tab, record_id, user_id=2):
    return frame_post(client, server, *tab, {"ID": str(record_id)}, user_id)


def assign_deal(server, deal_id, user_id):
    with server.state.lock:
        server.state.crm.tables["deal"].rows[deal_id]["ASSIGNED_BY_ID"] = str(user_id)


def move_stage(client, mirror, user_id=2, admin=False):
    application = application_of(mirror)
    return client.post(
        f"/b24/placement/applications/{application.id}/stage",
        data={"stage": "interview"},
        headers=headers(mirror, user_id=user_id, admin=admin),
    )


@pytest.mark.parametrize(
    ("tab", "record"),
    [
        (DEAL_TAB, "deal_id"),
        (CONTACT_TAB, "contact_id"),
        (COMPANY_TAB, "university_company_id"),
    ],
)
def test_tab_no_access_denied(client, portal_server, mirror, tab, record):
    portal_server.set_crm_role(2, "none")

    response = open_tab(client, portal_server, tab, getattr(mirror, record))

    assert response.status_code == 403
    assert 'data-message="crm_forbidden"' in response.text
    assert "Пример" not in response.text


def test_tab_reader_sees_any_deal(client, portal_server, mirror):
    portal_server.set_crm_role(2, "reader")

    response = open_tab(client, portal_server, DEAL_TAB, mirror.deal_id)

    assert response.status_code == 200
    assert 'data-seats="' in response.text


def test_tab_own_only_denied_other_deal(client, portal_server, mirror):
    portal_server.set_crm_role(2, "own")
    assign_deal(portal_server, mirror.deal_id, 3)

    response = open_tab(client, portal_server, DEAL_TAB, mirror.deal_id)

    assert response.status_code == 403
    assert 'data-message="crm_forbidden"' in response.text


def test_tab_own_only_sees_own_deal(client, portal_server, mirror):
    portal_server.set_crm_role(2, "own")
    assign_deal(portal_server, mirror.deal_id, 2)

    response = open_tab(client, portal_server, DEAL_TAB, mirror.deal_id)

    assert response.status_code == 200


def test_tab_admin_not_limited_by_role(client, portal_server, mirror):
    portal_server.set_crm_role(1, "none")

    response = open_tab(client, portal_server, DEAL_TAB, mirror.deal_id, user_id=1)

    assert response.status_code == 200


def test_action_reader_denied(client, portal_server, mirror):
    portal_server.set_crm_role(2, "reader")

    response = move_stage(client, mirror)

    stage = db.session.get(Application, application_of(mirror).id).stage
    assert response.status_code == 403
    assert 'data-message="crm_edit_forbidden"' in response.text
    assert stage == "screening"


def test_action_own_only_moves_own_deal(client, portal_server, mirror):
    portal_server.set_crm_role(2, "own")
    assign_deal(portal_server, mirror.application_deal_id, 2)

    response = move_stage(client, mirror)

    stage = db.session.get(Application, application_of(mirror).id).stage
    assert response.status_code == 200
    assert stage == "interview"


def test_action_own_only_denied_other_deal(client, portal_server, mirror):
    portal_server.set_crm_role(2, "own")
    assign_deal(portal_server, mirror.application_deal_id, 3)

    response = move_stage(client, mirror)

    assert response.status_code == 403


def test_action_no_access_denied(client, portal_server, mirror):
    portal_server.set_crm_role(2, "none")

    response = move_stage(client, mirror)

    assert response.status_code == 403


def test_action_admin_allowed_with_role_none(client, portal_server, mirror):
    portal_server.set_crm_role(1, "none")

    response = move_stage(client, mirror, user_id=1, admin=True)

    assert response.status_code == 200


def test_action_check_leaves_deal_unchanged(client, portal_server, mirror):
    portal_server.set_crm_role(2, "own")
    assign_deal(portal_server, mirror.application_deal_id, 2)

    move_stage(client, mirror)

    row = portal_server.state.crm.tables["deal"].rows[mirror.application_deal_id]
    assert row["MODIFY_BY_ID"] == "1"


def test_action_other_portals_user_not_found(client, portal_server, mirror):
    other = install_portal(portal_server, member_id="3" * 32)
    token = user_session(other.id, portal_server, 2, False)

    response = client.post(
        f"/b24/placement/applications/{application_of(mirror).id}/stage",
        data={"stage": "interview"},
        headers={"X-B24App-Session": token, "HX-Request": "true"},
    )

    assert response.status_code == 404


def test_action_session_without_user_token_renews(client, mirror):
    token = user_session(mirror.portal.id, None, 2, False)

    response = client.post(
        f"/b24/placement/applications/{application_of(mirror).id}/stage",
        data={"stage": "interview"},
        headers={"X-B24App-Session": token, "HX-Request": "true"},
    )

    assert response.status_code == 401
    assert "b24app:reauth" in response.headers["HX-Trigger"]


def test_action_forged_session_rejected(client, mirror):
    token = user_session(mirror.portal.id, mirror.server, 2, False)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    response = client.post(
        f"/b24/placement/applications/{application_of(mirror).id}/stage",
        data={"stage": "interview"},
        headers={"X-B24App-Session": forged, "HX-Request": "true"},
    )

    assert response.status_code == 401


def test_action_expired_session_rejected(app, client, mirror, monkeypatch):
    token = user_session(mirror.portal.id, mirror.server, 2, False)
    monkeypatch.setattr("b24app.web.session.SESSION_MAX_AGE", -1)

    response = client.post(
        f"/b24/placement/applications/{application_of(mirror).id}/stage",
        data={"stage": "interview"},
        headers={"X-B24App-Session": token, "HX-Request": "true"},
    )

    assert response.status_code == 401


def test_check_failure_denies_for_now(client, portal_server, mirror):
    portal_server.state.faults.add(
        {"kind": "error", "method": "crm.item.get", "status": 503}
    )

    response = open_tab(client, portal_server, DEAL_TAB, mirror.deal_id)

    assert response.status_code == 503
    assert 'data-message="crm_check_failed"' in response.text


def test_rate_limited_check_retried(client, portal_server, mirror):
    # Two slots: user.current and user.admin fill them, so crm.item.get finds
    # the bucket full and succeeds only when retried after it drains.
    portal_server.state.set_rate_limit({"burst": 2, "rate": 2.0})

    response = open_tab(client, portal_server, DEAL_TAB, mirror.deal_id, user_id=2)

    assert response.status_code == 200
    assert 'data-seats="' in response.text
