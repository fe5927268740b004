"""Hostile calls of the JSON API v1."""

import pytest
from api.support import bearer, build_world

from b24app.logs import redact


@pytest.fixture
def world(app):
    return build_world()


def test_deeply_nested_json_not_500(client, world):
    body = "[" * 100_000 + "]" * 100_000

    response = client.post(
        "/api/v1/students/bulk",
        data=body,
        content_type="application/json",
        headers=bearer(world.north_key),
    )

    assert response.status_code < 500


def test_webhook_port_out_of_range_not_500(app, client, world):
    app.config["B24_ALLOW_INSECURE_PORTALS"] = False
    body = {"url": "https://8.8.8.8:99999/", "events": ["internship.opened"]}

    response = client.post(
        "/api/v1/webhooks", json=body, headers=bearer(world.north_key)
    )

    assert response.status_code == 422


@pytest.mark.parametrize("name", ["apikey", "key", "authorization"])
def test_access_log_redacts_key_in_url(name):
    raw_key = "b24k_0123abcd_SecretPartOfTheKey0123456789"
    line = f'"GET /api/v1/students?{name}={raw_key} HTTP/1.1" 400 -'

    assert raw_key not in redact(line)
