"""Hostile request bodies and webhook URLs: problems, never a server error."""

import pytest

from .support import bearer, build_world


@pytest.fixture
def world(app):
    return build_world()


def test_nested_body_is_bad_json_problem(client, world):
    body = "[" * 40 + "]" * 40

    response = client.post(
        "/api/v1/students/bulk",
        data=body,
        content_type="application/json",
        headers=bearer(world.north_key),
    )

    assert response.status_code == 400
    assert response.json["type"] == "urn:b24app:problem:bad-json"
    assert "deeper than 32" in response.json["detail"]


@pytest.mark.parametrize("port", ["0", "99999", "-1", "http"])
def test_webhook_invalid_port_is_422(app, client, world, port):
    app.config["B24_ALLOW_INSECURE_PORTALS"] = False
    body = {"url": f"https://8.8.8.8:{port}/", "events": ["internship.opened"]}

    response = client.post(
        "/api/v1/webhooks", json=body, headers=bearer(world.north_key)
    )

    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "body.url"
    assert "invalid URL" in response.json["errors"][0]["message"]
