"""App page lists for non-admins: only records the user's CRM role lets them read."""

from b24app.extensions import db
from b24app.placements import list_scope
from b24app.program.models import Application

from .placement_support import application_of, headers


def list_page(client, mirror, section, user_id=2):
    return client.get(
        f"/b24/app/{section}", headers=headers(mirror, user_id=user_id, admin=False)
    )


def assign_deal(server, deal_id, user_id):
    with server.state.lock:
        server.state.crm.tables["deal"].rows[deal_id]["ASSIGNED_BY_ID"] = str(user_id)


def test_students_hidden_without_access(client, portal_server, mirror):
    portal_server.set_crm_role(2, "none")

    response = list_page(client, mirror, "students")

    assert response.status_code == 200
    assert "anna@example.com" not in response.text


def test_students_shown_to_reader(client, portal_server, mirror):
    portal_server.set_crm_role(2, "reader")

    response = list_page(client, mirror, "students")

    assert "anna@example.com" in response.text


def test_applications_own_only_shows_own(client, portal_server, mirror):
    portal_server.set_crm_role(2, "own")
    assign_deal(portal_server, mirror.application_deal_id, 2)

    response = list_page(client, mirror, "applications")

    assert f'data-application="{application_of(mirror).id}"' in response.text


def test_applications_own_only_hides_others(client, portal_server, mirror):
    portal_server.set_crm_role(2, "own")
    assign_deal(portal_server, mirror.application_deal_id, 3)

    response = list_page(client, mirror, "applications")

    assert f'data-application="{application_of(mirror).id}"' not in response.text


def test_admin_sees_all_with_role_none(client, portal_server, mirror):
    portal_server.set_crm_role(1, "none")

    response = client.get("/b24/app/students", headers=headers(mirror))

    assert "anna@example.com" in response.text


def test_scope_cached_for_later_requests(client, portal_server, mirror):
    portal_server.set_crm_role(2, "reader")
    list_page(client, mirror, "students")
    portal_server.state.faults.add({"kind": "error", "method": "crm.item.list"})

    response = list_page(client, mirror, "students")

    assert "anna@example.com" in response.text


def test_scope_over_limit_keeps_own_applications(
    client, portal_server, mirror, monkeypatch
):
    monkeypatch.setattr(list_scope, "ID_LIMIT", 0)
    portal_server.set_crm_role(2, "own")
    assign_deal(portal_server, mirror.application_deal_id, 2)
    application = db.session.get(Application, application_of(mirror).id)
    application.assigned_user_id = 2
    db.session.commit()

    applications = list_page(client, mirror, "applications")
    students = list_page(client, mirror, "students")

    assert f'data-application="{application.id}"' in applications.text
    assert "anna@example.com" not in students.text


def test_scope_unavailable_shows_nothing(client, portal_server, mirror):
    portal_server.state.faults.add({"kind": "error", "method": "crm.item.list"})

    response = list_page(client, mirror, "students")

    assert response.status_code == 200
    assert "anna@example.com" not in response.text
