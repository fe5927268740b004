"""Idempotency keys on POST, and rate limits per key."""

from datetime import timedelta

from b24app.api.models import IdempotencyRecord
from b24app.extensions import db
from b24app.program.models import University

from .support import bearer


def create(client, key: str, body: dict, idempotency_key: str | None = "k-1"):
    headers = bearer(key)
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return client.post("/api/v1/universities", json=body, headers=headers)


def universities_named(name: str) -> int:
    return db.session.query(University).filter_by(name=name).count()


def test_retry_returns_stored_response(client, world):
    first = create(client, world.admin_key, {"name": "Retry U"})
    second = create(client, world.admin_key, {"name": "Retry U"})

    assert first.status_code == 202
    assert second.status_code == 202
    assert second.get_json() == first.get_json()
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert universities_named("Retry U") == 1


def test_same_key_with_other_body_is_422(client, world):
    create(client, world.admin_key, {"name": "First U"})

    response = create(client, world.admin_key, {"name": "Second U"})

    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert universities_named("Second U") == 0


def test_keys_are_separate_per_api_key(client, world, other):
    create(client, world.admin_key, {"name": "Shared U"})
    response = create(client, other.admin_key, {"name": "Shared U"})

    assert response.status_code == 202
    assert "Idempotent-Replayed" not in response.headers
    assert universities_named("Shared U") == 2


def test_expired_record_is_not_replayed(client, world):
    create(client, world.admin_key, {"name": "Old U"})
    record = db.session.query(IdempotencyRecord).one()
    record.expires_at = record.created_at - timedelta(seconds=1)
    db.session.commit()

    response = create(client, world.admin_key, {"name": "Old U"})

    assert response.status_code == 202
    assert universities_named("Old U") == 2


def test_without_key_each_post_runs(client, world):
    create(client, world.admin_key, {"name": "Twice U"}, idempotency_key=None)
    create(client, world.admin_key, {"name": "Twice U"}, idempotency_key=None)

    assert universities_named("Twice U") == 2


def test_overlong_idempotency_key_is_400(client, world):
    response = create(client, world.admin_key, {"name": "Long U"}, "x" * 300)

    assert response.status_code == 400


def test_rate_limit_per_key(app, client, world):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        ok = client.get("/api/v1/companies", headers=bearer(world.north_key))
        assert ok.status_code == 200

    limited = client.get("/api/v1/companies", headers=bearer(world.north_key))
    other_key = client.get("/api/v1/companies", headers=bearer(world.south_key))

    assert ok.headers["RateLimit-Limit"] == "3"
    assert ok.headers["RateLimit-Remaining"] == "0"
    assert ok.headers["X-RateLimit-Limit"] == "3"
    assert limited.status_code == 429
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) > 0
    assert other_key.status_code == 200


def test_webhook_secret_is_not_replayed(client, world):
    headers = {**bearer(world.north_key), "Idempotency-Key": "hook-1"}
    body = {"url": "https://hooks.example.com/b24"}

    first = client.post("/api/v1/webhooks", json=body, headers=headers)
    retry = client.post("/api/v1/webhooks", json=body, headers=headers)

    assert first.status_code == 201
    assert retry.status_code == 409
    assert retry.mimetype == "application/problem+json"
    stored = db.session.query(IdempotencyRecord).one()
    assert first.get_json()["secret"] not in stored.response_body
