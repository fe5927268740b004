"""The /metrics endpoint, request ids, and metrics that move with requests and jobs."""

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from rq import Queue

from b24app import ROOT, metrics
from b24app.events.models import EventInbox
from b24app.extensions import db
from b24app.jobs import enqueue, get_jobs
from b24app.ops.worker import AppSimpleWorker
from b24app.tenancy.models import utcnow


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def succeed() -> str:
    return "done"


def fail() -> None:
    raise RuntimeError("planned failure")


def run_burst(app, name: str) -> None:
    redis = get_jobs(app).redis
    worker = AppSimpleWorker([Queue(name, connection=redis)], connection=redis)
    worker.app = app
    worker.work(burst=True)


def test_request_latency_recorded_by_endpoint(client):
    name = "b24app_http_request_duration_seconds_count"
    before = sample(name, endpoint="health.healthz", status_class="2xx")

    client.get("/healthz")
    client.get("/healthz")

    after = sample(name, endpoint="health.healthz", status_class="2xx")
    assert after - before == 2


def test_unmatched_url_uses_fixed_label(client):
    name = "b24app_http_request_duration_seconds_count"
    before = sample(name, endpoint="unmatched", status_class="4xx")

    client.get("/no/such/page/12345")

    assert sample(name, endpoint="unmatched", status_class="4xx") == before + 1


def test_request_id_echoed_when_valid(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123_DEF.456"})

    assert response.headers["X-Request-ID"] == "abc-123_DEF.456"


@pytest.mark.parametrize(
    "supplied", ["short", "has space in it", "x" * 129, "<b>tag</b>"]
)
def test_request_id_replaced_when_invalid(client, supplied):
    response = client.get("/healthz", headers={"X-Request-ID": supplied})

    echoed = response.headers["X-Request-ID"]
    assert echoed != supplied
    assert len(echoed) == 32


def test_metrics_exposed_in_text_format(client):
    client.get("/healthz")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    assert (
        'b24app_http_request_duration_seconds_count{endpoint="health.healthz"' in text
    )
    assert 'b24app_queue_depth{queue="events"}' in text


def test_metrics_token_required_when_set(app, client):
    app.config["METRICS_TOKEN"] = "scrape-token-0123456789"

    assert client.get("/metrics").status_code == 401
    wrong = {"Authorization": "Bearer scrape-token-wrong"}
    assert client.get("/metrics", headers=wrong).status_code == 401
    right = {"Authorization": "Bearer scrape-token-0123456789"}
    assert client.get("/metrics", headers=right).status_code == 200


def test_queue_depth_follows_enqueued_jobs(app, client):
    enqueue(succeed, queue="reports")
    enqueue(succeed, queue="reports")

    client.get("/metrics")
    assert sample("b24app_queue_depth", queue="reports") == 2

    run_burst(app, "reports")
    client.get("/metrics")
    assert sample("b24app_queue_depth", queue="reports") == 0


def test_job_duration_and_failures_recorded(app):
    count = "b24app_job_duration_seconds_count"
    ok_before = sample(count, queue="mail", outcome="succeeded")
    failed_before = sample("b24app_job_failures_total", queue="mail")

    enqueue(succeed, queue="mail")
    enqueue(fail, queue="mail")
    run_burst(app, "mail")

    assert sample(count, queue="mail", outcome="succeeded") == ok_before + 1
    assert sample("b24app_job_failures_total", queue="mail") == failed_before + 1


def test_failed_jobs_gauge_counts_registry(app, client):
    enqueue(fail, queue="crm")
    run_burst(app, "crm")

    client.get("/metrics")

    assert sample("b24app_queue_failed_jobs", queue="crm") == 1


def test_inbox_age_gauge_reads_oldest_pending(client, make_portal):
    portal = make_portal()
    db.session.add(
        EventInbox(
            portal_id=portal.id,
            event="ONCRMDEALUPDATE",
            dedupe_key="deal-7-1",
            received_at=utcnow() - timedelta(seconds=90),
        )
    )
    db.session.commit()

    client.get("/metrics")

    assert 89 <= sample("b24app_inbox_oldest_pending_age_seconds") < 120
    assert sample("b24app_inbox_events", status="pending") == 1
    assert sample("b24app_portals", state="active") == 1


def test_observe_helpers_change_counters():
    before = sample("b24app_rest_calls_total", method="crm.deal.get", outcome="ok")

    metrics.observe_rest_call("crm.deal.get", "ok", 0.2)
    metrics.observe_event_rejected("auth")
    metrics.set_sync_lag(7, 42.0)

    after = sample("b24app_rest_calls_total", method="crm.deal.get", outcome="ok")
    assert after == before + 1
    assert sample("b24app_events_rejected_total", reason="auth") >= 1
    assert sample("b24app_sync_lag_seconds", portal_id="7") == 42.0


MULTIPROCESS_SCRIPT = """
from b24app import ROOT, metrics
metrics.observe_event_received()
metrics.mark_work_horse(4242)
metrics.observe_event_received()
metrics.observe_event_received()
print(metrics.render_latest().decode())
"""


def test_multiprocess_mode_merges_horse_files(tmp_path):
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    result = subprocess.run(
        [sys.executable, "-c", MULTIPROCESS_SCRIPT],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert "b24app_events_received_total 3.0" in result.stdout
    files = sorted(path.name for path in tmp_path.iterdir())
    assert "counter_4242-horse.db" in files
    assert len([name for name in files if name.startswith("counter_")]) == 2


def test_dashboard_uses_defined_metrics():
    dashboard = (ROOT / "docs" / "grafana-dashboard.json").read_text()
    used = set(re.findall(r"b24app_[a-z_]+", dashboard))
    defined = {family.name for family in REGISTRY.collect()}

    suffixes = ("_bucket", "_count", "_sum", "_total")
    for name in sorted(used):
        base = next((name[: -len(s)] for s in suffixes if name.endswith(s)), name)
        assert base in defined, f"dashboard uses undefined metric {name}"
