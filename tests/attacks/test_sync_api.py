"""Hostile starts and reads of sync runs through the JSON API v1."""

import pytest
from api.support import bearer, build_world

from b24app.extensions import db


@pytest.fixture
def world(app):
    world = build_world()
    world.north.bitrix_id = 501
    world.south.bitrix_id = 502
    db.session.commit()
    return world


@pytest.mark.parametrize(
    "value",
    [0, -1, 2**31, 2**63, 10**100, "abc", 1.5, [1], {"id": 1}, ""],
)
def test_invalid_university_id_is_422(client, world, value):
    response = client.post(
        "/api/v1/sync", json={"university_id": value}, headers=bearer(world.admin_key)
    )

    assert response.status_code == 422, response.get_json()


def test_extra_field_is_422(client, world):
    body = {"university_id": world.north.id, "kind": "full"}

    response = client.post("/api/v1/sync", json=body, headers=bearer(world.north_key))

    assert response.status_code == 422


@pytest.mark.parametrize("run_id", ["0", "-1", "99999999999999999999", "1.5", "%2e%2e"])
def test_odd_run_ids_are_not_500(client, world, run_id):
    response = client.get(f"/api/v1/sync/{run_id}", headers=bearer(world.admin_key))

    assert response.status_code == 404
