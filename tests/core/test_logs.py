import json
import logging

import pytest

from b24app.logs import (
    ContextFilter,
    JsonFormatter,
    RedactingFilter,
    RepeatFilter,
    job_id_var,
    portal_id_var,
    redact,
)


@pytest.mark.parametrize(
    "text",
    [
        "POST /rest/crm.deal.get auth=abc123secretvalue&id=5",
        '{"access_token": "abc123secretvalue", "id": 5}',
        "refresh_token=abc123secretvalue",
        "https://portal.example.com/rest/1/abc123secretvalue/crm.deal.get",
        "Authorization: Bearer abc123secretvalue",
        "application_token: abc123secretvalue",
    ],
)
def test_redact_hides_credentials(text):
    cleaned = redact(text)

    assert "abc123secretvalue" not in cleaned
    assert "[redacted]" in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/v1/students?apikey=abc123secretvalue HTTP/1.1",
        "GET /api/v1/students?key=abc123secretvalue&limit=5 HTTP/1.1",
        "GET /api/v1/students?authorization=abc123secretvalue HTTP/1.1",
        "GET /api/v1/students?api_key=abc123secretvalue HTTP/1.1",
        "GET /api/v1/students?token=abc123secretvalue HTTP/1.1",
        "X-API-Key: abc123secretvalue",
        '{"api_key": "abc123secretvalue"}',
    ],
)
def test_redact_hides_api_keys(text):
    cleaned = redact(text)

    assert "abc123secretvalue" not in cleaned
    assert "[redacted]" in cleaned


def test_redact_keeps_authorization_scheme():
    cleaned = redact("Authorization: Bearer abc123secretvalue")

    assert cleaned == "Authorization: Bearer [redacted]"


def test_redact_keeps_names_ending_in_key():
    text = "idempotency_key=order-5 monkey=3"

    assert redact(text) == text


def test_redact_keeps_ordinary_text():
    assert redact("deal 15 moved to stage C2:NEW") == "deal 15 moved to stage C2:NEW"


def make_record(message, *args, level=logging.ERROR):
    return logging.LogRecord("b24app.test", level, __file__, 1, message, args, None)


def test_json_formatter_carries_context_ids():
    portal_token = portal_id_var.set(42)
    job_token = job_id_var.set("job-7")
    try:
        record = make_record("sync of %s failed", "deal 9")
        ContextFilter().filter(record)
        RedactingFilter().filter(record)
        entry = json.loads(JsonFormatter().format(record))
    finally:
        portal_id_var.reset(portal_token)
        job_id_var.reset(job_token)

    assert entry["message"] == "sync of deal 9 failed"
    assert entry["portal_id"] == 42
    assert entry["job_id"] == "job-7"
    assert entry["level"] == "ERROR"


def test_redacting_filter_cleans_arguments():
    record = make_record("calling %s", "https://p.example.com/rest/?auth=topsecret1")

    RedactingFilter().filter(record)

    assert "topsecret1" not in record.getMessage()


def test_repeat_filter_limits_identical_errors():
    repeat = RepeatFilter(limit=3, window=60)

    passed = [repeat.filter(make_record("same failure")) for _ in range(10)]

    assert passed.count(True) == 3
    assert repeat.filter(make_record("same failure", level=logging.INFO)) is True
