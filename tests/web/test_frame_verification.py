"""Frame POSTs: only a request the portal confirms renders a tab."""

import pytest

from b24app.extensions import db

from .support import OTHER_MEMBER_ID, XSS, frame_post, install_portal, seed_mirror

DEAL_TAB = ("/b24/placement/deal", "CRM_DEAL_DETAIL_TAB")


def test_deal_tab_renders_internship(client, portal_server, mirror):
    response = frame_post(client, portal_server, *DEAL_TAB, {"ID": str(mirror.deal_id)})

    assert response.status_code == 200
    assert "data-internship-title" in response.text
    assert "Вузы-партнёры" in response.text


def test_deal_title_xss_shown_as_text(client, portal_server, mirror):
    response = frame_post(client, portal_server, *DEAL_TAB, {"ID": str(mirror.deal_id)})

    assert XSS not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_wrong_application_token_rejected(client, portal_server, mirror):
    response = frame_post(
        client,
        portal_server,
        *DEAL_TAB,
        {"ID": str(mirror.deal_id)},
        APPLICATION_TOKEN="0" * 32,
    )

    assert response.status_code == 403
    assert 'data-message="frame_rejected"' in response.text
    assert "data-internship-title" not in response.text


def test_unknown_member_id_rejected(client, portal_server, mirror):
    response = frame_post(
        client,
        portal_server,
        *DEAL_TAB,
        {"ID": str(mirror.deal_id)},
        member_id=OTHER_MEMBER_ID,
    )

    assert response.status_code == 403
    assert "data-internship-title" not in response.text


def test_auth_id_rejected_by_portal(client, portal_server, mirror):
    response = frame_post(
        client,
        portal_server,
        *DEAL_TAB,
        {"ID": str(mirror.deal_id)},
        AUTH_ID="forged-token-0000",
    )

    assert response.status_code == 403
    assert "data-internship-title" not in response.text


def test_missing_auth_id_rejected(client, portal_server, mirror):
    response = frame_post(
        client, portal_server, *DEAL_TAB, {"ID": str(mirror.deal_id)}, AUTH_ID=None
    )

    assert response.status_code == 403


def test_frame_without_application_token_uses_auth_id(client, portal_server, mirror):
    response = frame_post(
        client,
        portal_server,
        *DEAL_TAB,
        {"ID": str(mirror.deal_id)},
        APPLICATION_TOKEN=None,
    )

    assert response.status_code == 200
    assert "data-internship-title" in response.text


def test_get_without_form_is_friendly(client, mirror):
    response = client.get("/b24/placement/deal")

    assert response.status_code == 400
    assert 'data-message="bad_request"' in response.text


@pytest.mark.parametrize(
    "raw_options",
    [
        "not json",
        '["ID", 5]',
        '{"ID": "-5"}',
        '{"ID": "0"}',
        '{"ID": "12abc"}',
        '{"ID": "<script>alert(1)</script>"}',
        '{"ID": 1.5}',
        '{"ID": true}',
        '{"ID": "99999999999999999999"}',
        "{}",
    ],
)
def test_bad_placement_options_get_message(client, portal_server, mirror, raw_options):
    response = frame_post(
        client, portal_server, *DEAL_TAB, PLACEMENT_OPTIONS=raw_options
    )

    assert response.status_code == 400
    assert 'data-message="bad_request"' in response.text
    assert "<script>alert(1)" not in response.text


def test_placement_code_must_match_handler(client, portal_server, mirror):
    response = frame_post(
        client,
        portal_server,
        "/b24/placement/deal",
        "CRM_CONTACT_DETAIL_TAB",
        {"ID": str(mirror.deal_id)},
    )

    assert response.status_code == 400
    assert "data-internship-title" not in response.text


def test_deal_not_in_program_shows_empty_state(client, portal_server, mirror):
    response = frame_post(client, portal_server, *DEAL_TAB, {"ID": "4242"})

    assert response.status_code == 200
    assert 'data-message="not_found"' in response.text


def test_portal_without_stored_token_relies_on_auth_id(client, portal_server, mirror):
    mirror.portal.application_token_digest = None
    db.session.commit()

    accepted = frame_post(client, portal_server, *DEAL_TAB, {"ID": str(mirror.deal_id)})
    forged = frame_post(
        client,
        portal_server,
        *DEAL_TAB,
        {"ID": str(mirror.deal_id)},
        AUTH_ID="forged-token-0000",
    )

    assert accepted.status_code == 200
    assert forged.status_code == 403


def test_other_portals_deal_not_shown(client, portal_server, mirror):
    other_portal = install_portal(portal_server, member_id=OTHER_MEMBER_ID)
    other = seed_mirror(portal_server, other_portal, title="Чужая стажировка")

    response = frame_post(client, portal_server, *DEAL_TAB, {"ID": str(other.deal_id)})

    assert response.status_code == 200
    assert 'data-message="not_found"' in response.text
    assert "Чужая стажировка" not in response.text


def test_placement_options_extra_keys_not_rendered(client, portal_server, mirror):
    options = {"ID": str(mirror.deal_id), "URI": "javascript:alert(1)", "X": XSS}

    response = frame_post(client, portal_server, *DEAL_TAB, options)

    assert response.status_code == 200
    assert "javascript:alert" not in response.text
    assert "onerror=alert(1)>" not in response.text
