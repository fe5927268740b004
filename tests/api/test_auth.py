"""Authentication and isolation: who may read and write what."""

import pytest

from b24app.extensions import db
from b24app.program.api_keys import ApiKey, revoke_api_key
from b24app.program.models import Student
from b24app.tenancy.models import PortalState

from .support import bearer, student

PROBLEM = "application/problem+json"


def test_missing_key_is_401(client, world):
    response = client.get("/api/v1/internships")

    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "missing" in response.get_json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Basic dXNlcjpwYXNz", "Bearer b24k_nothing", "Bearer b24k_0000aaaa_xyz"],
)
def test_malformed_or_unknown_key_is_401(client, world, header):
    response = client.get("/api/v1/internships", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.get_json()["status"] == 401


def test_revoked_key_is_401(client, world):
    key = db.session.query(ApiKey).filter_by(university_id=world.north.id).one()
    revoke_api_key(world.portal_id, key.id)

    response = client.get("/api/v1/students", headers=bearer(world.north_key))

    assert response.status_code == 401
    assert "revoked" in response.get_json()["detail"]


@pytest.mark.parametrize("name", ["api_key", "token", "access_token", "key"])
def test_key_in_url_is_rejected(client, world, name):
    response = client.get(f"/api/v1/internships?{name}={world.admin_key}")

    assert response.status_code == 400
    assert response.mimetype == PROBLEM
    assert response.get_json()["type"] == "urn:b24app:problem:credentials-in-url"


def test_inactive_portal_is_403(client, world):
    world.portal.state = PortalState.UNINSTALLED
    db.session.commit()

    response = client.get("/api/v1/internships", headers=bearer(world.admin_key))

    assert response.status_code == 403


def test_university_key_cannot_read_other_student(client, world):
    southern = student(world.portal_id, world.south, 1)

    response = client.get(
        f"/api/v1/students/{southern.id}", headers=bearer(world.north_key)
    )
    listed = client.get("/api/v1/students", headers=bearer(world.north_key))

    assert response.status_code == 404
    assert listed.get_json()["data"] == []


def test_university_key_cannot_read_other_figures(client, world):
    response = client.get(
        f"/api/v1/statistics/universities/{world.south.id}",
        headers=bearer(world.north_key),
    )

    assert response.status_code == 403
    assert response.mimetype == PROBLEM


def test_university_key_cannot_use_admin_operations(client, world):
    program = client.get("/api/v1/statistics/program", headers=bearer(world.north_key))
    created = client.post(
        "/api/v1/universities", json={"name": "X"}, headers=bearer(world.north_key)
    )
    sync = client.post("/api/v1/sync", json={}, headers=bearer(world.north_key))

    assert program.status_code == 403
    assert created.status_code == 403
    assert sync.status_code == 403


def test_other_portal_key_sees_nothing_of_this_portal(client, world, other):
    northern = student(world.portal_id, world.north, 2)
    headers = bearer(other.admin_key)

    assert (
        client.get(f"/api/v1/students/{northern.id}", headers=headers).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/internships/{world.backend.id}", headers=headers
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/universities/{world.north.id}", headers=headers
        ).status_code
        == 404
    )
    listed = client.get("/api/v1/universities", headers=headers).get_json()
    assert [row["name"] for row in listed["data"]] == ["West Academy"]


def test_other_portal_university_key_cannot_write_here(client, world, other):
    response = client.post(
        "/api/v1/students/bulk",
        json={"items": [{"email": "a@north.test", "university_id": world.north.id}]},
        headers=bearer(other.university_key),
    )

    result = response.get_json()["items"][0]
    assert result["status"] == "invalid"
    assert db.session.query(Student).filter_by(portal_id=world.portal_id).count() == 0


def test_request_id_is_echoed(client, world):
    response = client.get(
        "/api/v1/internships",
        headers={**bearer(world.admin_key), "X-Request-ID": "req-12345678"},
    )

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-12345678"


def test_unknown_path_and_method_are_problems(client, world):
    missing = client.get("/api/v1/nothing-here", headers=bearer(world.admin_key))
    method = client.put("/api/v1/internships", headers=bearer(world.admin_key))

    assert missing.status_code == 404
    assert missing.mimetype == PROBLEM
    assert method.status_code == 405
    assert method.mimetype == PROBLEM
    assert "GET" in method.headers["Allow"]
