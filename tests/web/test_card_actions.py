"""Card actions: applying from the contact tab goes through the routing engine."""

from b24app.extensions import db
from b24app.program.models import CrmOutbox
from b24app.web.session import SESSION_HEADER, FrameSession, issue_session_token

from .support import add_open_internship, install_portal, user_session


def token_for(mirror, user_id=2, admin=False, lang="ru") -> str:
    return user_session(mirror.portal.id, mirror.server, user_id, admin, lang)


def test_apply_routes_and_shows_pending(client, mirror):
    internship = add_open_internship(mirror, "Аналитик данных")

    response = client.post(
        f"/b24/placement/contact/{mirror.student.id}/apply",
        data={"internship_id": str(internship.id)},
        headers={SESSION_HEADER: token_for(mirror), "HX-Request": "true"},
    )

    outbox = db.session.query(CrmOutbox).filter_by(portal_id=mirror.portal.id).count()
    assert response.status_code == 200
    assert "<html" not in response.text
    assert outbox > 0
    assert f'data-pending="{outbox}"' in response.text
    assert "Аналитик данных" in response.text


def test_apply_accepted_triggers_reload(client, mirror):
    internship = add_open_internship(mirror, "Аналитик данных")

    response = client.post(
        f"/b24/placement/contact/{mirror.student.id}/apply",
        data={"internship_id": str(internship.id)},
        headers={SESSION_HEADER: token_for(mirror)},
    )

    assert 'data-outcome="routed"' in response.text
    assert "b24app:crm-changed" in response.headers["HX-Trigger"]


def test_apply_needs_session(client, mirror):
    response = client.post(
        f"/b24/placement/contact/{mirror.student.id}/apply",
        data={"internship_id": str(mirror.internship.id)},
    )

    assert response.status_code == 401


def test_apply_to_other_portals_student_not_found(client, portal_server, mirror):
    other = install_portal(portal_server, member_id="2" * 32)
    token = issue_session_token(FrameSession(other.id, 1, True, "ru"))

    response = client.post(
        f"/b24/placement/contact/{mirror.student.id}/apply",
        data={"internship_id": str(mirror.internship.id)},
        headers={SESSION_HEADER: token},
    )

    assert response.status_code == 404


def test_apply_without_javascript_uses_form_field(client, mirror):
    internship = add_open_internship(mirror, "Аналитик данных")

    response = client.post(
        f"/b24/placement/contact/{mirror.student.id}/apply",
        data={"internship_id": str(internship.id), "_session": token_for(mirror)},
    )

    assert response.status_code == 200
    assert "<html" in response.text
    assert 'data-outcome="routed"' in response.text
