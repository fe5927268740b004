"""JSON log lines carry the request, portal, job and entity ids, and no secret."""

import io
import json
import logging

import pytest
from rq import Queue, SimpleWorker

from b24app.jobs import enqueue, get_jobs
from b24app.logs import configure_logging

log = logging.getLogger("b24app.tests.ops")

ACCESS_TOKEN = "a1b2c3d4e5f6access0token0value"


def log_entity_update(entity_id: int) -> None:
    log.info(
        "deal %s updated with auth=%s",
        entity_id,
        ACCESS_TOKEN,
        extra={"entity_type": "deal", "entity_id": entity_id},
    )


@pytest.fixture
def json_lines():
    """Send JSON log lines to a buffer; yields a function that parses them."""
    root = logging.getLogger()
    saved_level = root.level
    configure_logging("INFO", "json")
    handler = next(h for h in root.handlers if getattr(h, "b24app", False))
    buffer = io.StringIO()
    handler.setStream(buffer)

    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]

    root.removeHandler(handler)
    root.setLevel(saved_level)


def test_request_lines_carry_request_id(app, client, json_lines):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.config["B24_CLIENT_SECRET"] = "client-secret-value-0123"

    client.get("/readyz", headers={"X-Request-ID": "req-0123456789"})

    lines = [line for line in json_lines() if line["logger"] == "b24app.ops.readiness"]
    assert lines, "readiness logged nothing"
    assert all(line["request_id"] == "req-0123456789" for line in lines)


def test_job_lines_carry_ids_without_secret(app, json_lines):
    redis = get_jobs(app).redis
    job_id = enqueue(log_entity_update, 42, queue="crm", portal_id=7)
    SimpleWorker([Queue("crm", connection=redis)], connection=redis).work(burst=True)

    [line] = [entry for entry in json_lines() if entry["logger"] == log.name]
    assert line["job_id"] == job_id
    assert line["portal_id"] == 7
    assert line["entity_type"] == "deal"
    assert line["entity_id"] == 42
    assert ACCESS_TOKEN not in json.dumps(line)
    assert "[redacted]" in line["message"]
