"""Webhook endpoints: registration, signed deliveries, retries and disabling."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rq import Queue, SimpleWorker

from b24app.api.webhooks import (
    notify_application_stage_changed,
    notify_internship_opened,
)
from b24app.api.webhooks.models import DeliveryStatus, WebhookDelivery
from b24app.api.webhooks.signing import verify
from b24app.extensions import db
from b24app.jobs import get_jobs

from .support import bearer


class Receiver:
    """A loopback HTTP server that responds with the given statuses in turn."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory() -> Iterator:
    started: list[Receiver] = []

    def start(statuses: list[int] | None = None) -> Receiver:
        receiver = Receiver(statuses or [])
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def fast_retries(app):
    app.config["WEBHOOK_RETRY_INTERVALS"] = [0, 0, 0]


def run_jobs() -> None:
    redis = get_jobs().redis
    worker = SimpleWorker([Queue("default", connection=redis)], connection=redis)
    worker.work(burst=True)


def register(client, key: str, url: str, **fields):
    return client.post(
        "/api/v1/webhooks", json={"url": url, **fields}, headers=bearer(key)
    )


def accepted_application(client, world) -> int:
    response = client.post(
        "/api/v1/applications",
        json={"internship_id": world.backend.id, "student": {"email": "w@north.test"}},
        headers=bearer(world.admin_key),
    )
    return response.get_json()["application_id"]


def test_register_returns_secret_once(client, world):
    created = register(client, world.north_key, "https://hooks.example.com/b24")
    shown = client.get(
        created.headers["Location"], headers=bearer(world.north_key)
    ).get_json()

    body = created.get_json()
    assert created.status_code == 201
    assert body["secret"].startswith("whsec_")
    assert body["endpoint"]["events"] == [
        "application.stage_changed",
        "internship.opened",
    ]
    assert "secret" not in shown
    assert shown["active"] is True


def test_register_rejects_admin_and_bad_urls(app, client, world):
    admin = register(client, world.admin_key, "https://hooks.example.com/b24")
    scheme = register(client, world.north_key, "ftp://hooks.example.com/b24")
    app.config["B24_ALLOW_INSECURE_PORTALS"] = False
    loopback = register(client, world.north_key, "https://127.0.0.1:8443/b24")
    plain = register(client, world.north_key, "http://hooks.example.com/b24")

    assert admin.status_code == 403
    assert scheme.status_code == 422
    assert loopback.status_code == 422
    assert "non-public" in loopback.get_json()["errors"][0]["message"]
    assert plain.status_code == 422


def test_endpoints_are_private_to_their_university(client, world):
    created = register(
        client, world.north_key, "https://hooks.example.com/n"
    ).get_json()
    endpoint_id = created["endpoint"]["id"]

    south = client.get(
        f"/api/v1/webhooks/{endpoint_id}", headers=bearer(world.south_key)
    )
    south_list = client.get("/api/v1/webhooks", headers=bearer(world.south_key))
    admin_list = client.get("/api/v1/webhooks", headers=bearer(world.admin_key))

    assert south.status_code == 404
    assert south_list.get_json()["data"] == []
    assert len(admin_list.get_json()["data"]) == 1


def test_signed_delivery_reaches_receiver(client, world, receiver_factory):
    receiver = receiver_factory()
    created = register(client, world.north_key, receiver.url).get_json()
    application_id = accepted_application(client, world)

    delivery_ids = notify_application_stage_changed(world.portal_id, application_id)
    run_jobs()

    assert len(delivery_ids) == 1
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert verify(
        created["secret"],
        headers["B24App-Webhook-Timestamp"],
        body,
        headers["B24App-Webhook-Signature"],
    )
    assert not verify(
        "whsec_wrong",
        headers["B24App-Webhook-Timestamp"],
        body,
        headers["B24App-Webhook-Signature"],
    )
    payload = json.loads(body)
    assert payload["event"] == "application.stage_changed"
    assert payload["data"]["application"]["id"] == application_id
    assert headers["B24App-Webhook-Id"] == payload["id"]


def test_stale_timestamp_fails_verification():
    body = b"{}"
    from b24app.api.webhooks.signing import sign

    signature = sign("whsec_x", 1_000_000, body)

    assert verify("whsec_x", "1000000", body, signature, now=1_000_100)
    assert not verify("whsec_x", "1000000", body, signature, now=1_000_301)


def test_failed_delivery_is_retried(client, world, receiver_factory, fast_retries):
    receiver = receiver_factory([500, 503])
    created = register(client, world.north_key, receiver.url).get_json()
    endpoint_id = created["endpoint"]["id"]
    application_id = accepted_application(client, world)

    notify_application_stage_changed(world.portal_id, application_id)
    run_jobs()

    delivery = db.session.query(WebhookDelivery).one()
    db.session.refresh(delivery)
    assert len(receiver.requests) == 3
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 3

    log = client.get(
        f"/api/v1/webhooks/{endpoint_id}/attempts", headers=bearer(world.north_key)
    ).get_json()["data"]
    assert [row["status_code"] for row in log] == [200, 503, 500]
    assert [row["attempt"] for row in log] == [3, 2, 1]
    assert log[1]["error"] == "HTTP 503"
    assert all(row["duration_ms"] >= 0 for row in log)


def test_endpoint_disabled_after_repeated_failure(
    app, client, world, receiver_factory, fast_retries
):
    app.config["WEBHOOK_DISABLE_AFTER"] = 3
    receiver = receiver_factory([500] * 10)
    created = register(client, world.north_key, receiver.url).get_json()
    endpoint_id = created["endpoint"]["id"]

    notify_internship_opened(world.portal_id, world.backend.id)
    run_jobs()

    endpoint = client.get(
        f"/api/v1/webhooks/{endpoint_id}", headers=bearer(world.north_key)
    ).get_json()
    assert len(receiver.requests) == 3
    assert endpoint["active"] is False
    assert "3 failed attempts" in endpoint["disabled_reason"]
    assert db.session.query(WebhookDelivery).one().status == DeliveryStatus.FAILED
    assert notify_internship_opened(world.portal_id, world.backend.id) == []

    enabled = client.post(
        f"/api/v1/webhooks/{endpoint_id}/enable", headers=bearer(world.north_key)
    )
    assert enabled.get_json()["active"] is True


def test_internship_opened_reaches_only_its_universities(
    client, world, receiver_factory
):
    north = receiver_factory()
    south = receiver_factory()
    register(client, world.north_key, north.url)
    register(client, world.south_key, south.url)

    notify_internship_opened(world.portal_id, world.design.id)
    run_jobs()

    assert len(north.requests) == 0
    assert len(south.requests) == 1
    payload = json.loads(south.requests[0][1])
    assert payload["data"]["internship"]["title"] == "Design intern"


def test_deleted_endpoint_gets_nothing(client, world, receiver_factory):
    receiver = receiver_factory()
    created = register(client, world.north_key, receiver.url).get_json()
    endpoint_id = created["endpoint"]["id"]

    deleted = client.delete(
        f"/api/v1/webhooks/{endpoint_id}", headers=bearer(world.north_key)
    )
    notify_internship_opened(world.portal_id, world.backend.id)
    run_jobs()

    assert deleted.status_code == 204
    assert receiver.requests == []
    missing = client.get(
        f"/api/v1/webhooks/{endpoint_id}", headers=bearer(world.north_key)
    )
    assert missing.status_code == 404
