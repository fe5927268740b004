"""Prometheus metrics: the metric objects, and the small functions other parts call.

Labels stay bounded: Flask endpoint names, status classes, queue names, REST method
names, outcomes and reasons from short fixed lists. The one exception is the sync
lag gauge, keyed by portal id, since lag is a per-portal fact and the number of
portals is bounded by installs.

With `PROMETHEUS_MULTIPROC_DIR` set (gunicorn workers, RQ workers), every process
writes its samples to files in that folder, and an exposition reads them all.
Without it, the metrics live in this process's default registry.
"""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client import multiprocess as prometheus_multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# The pid of the RQ worker that forked this work horse, or None outside a horse.
_horse_of_worker: int | None = None


def process_identifier() -> int | str:
    """Name this process's metric files; work horses reuse one name per worker.

    RQ forks a new work horse for every job. With the default (the pid) each job
    would leave its own files behind and scrapes would slow down over time. A
    worker runs one horse at a time, so its horses can share files safely.
    """
    if _horse_of_worker is not None:
        return f"{_horse_of_worker}-horse"
    return os.getpid()


if os.environ.get(MULTIPROC_ENV):
    # Must happen before the metric objects below are created, since each one
    # builds its value storage from `values.ValueClass` when it is created.
    values.ValueClass = values.MultiProcessValue(process_identifier=process_identifier)


def mark_work_horse(worker_pid: int) -> None:
    """Record, in a freshly forked RQ work horse, which worker forked it."""
    global _horse_of_worker
    _horse_of_worker = worker_pid


LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)

REQUEST_LATENCY = Histogram(
    "b24app_http_request_duration_seconds",
    "Time to serve an HTTP request, by Flask endpoint and status class.",
    ["endpoint", "status_class"],
    buckets=LATENCY_BUCKETS,
)
EVENTS_RECEIVED = Counter(
    "b24app_events_received", "Bitrix24 events accepted into the inbox."
)
EVENTS_REJECTED = Counter(
    "b24app_events_rejected",
    "Bitrix24 event deliveries rejected, by reason.",
    ["reason"],
)
EVENTS_PROCESSED = Counter(
    "b24app_events_processed",
    "Inbox events processed by a job, by outcome.",
    ["outcome"],
)
INBOX_OLDEST_AGE = Gauge(
    "b24app_inbox_oldest_pending_age_seconds",
    "Age of the oldest inbox event not yet processed; 0 when none waits.",
    multiprocess_mode="mostrecent",
)
INBOX_EVENTS = Gauge(
    "b24app_inbox_events",
    "Inbox rows by status, read at scrape time.",
    ["status"],
    multiprocess_mode="mostrecent",
)
QUEUE_DEPTH = Gauge(
    "b24app_queue_depth",
    "Jobs waiting in each RQ queue, read at scrape time.",
    ["queue"],
    multiprocess_mode="mostrecent",
)
QUEUE_FAILED = Gauge(
    "b24app_queue_failed_jobs",
    "Jobs in each RQ queue's failed job registry, read at scrape time.",
    ["queue"],
    multiprocess_mode="mostrecent",
)
JOB_DURATION = Histogram(
    "b24app_job_duration_seconds",
    "Run time of background jobs, by queue and outcome.",
    ["queue", "outcome"],
    buckets=JOB_BUCKETS,
)
JOB_FAILURES = Counter(
    "b24app_job_failures",
    "Background job runs that raised, by queue.",
    ["queue"],
)
REST_CALLS = Counter(
    "b24app_rest_calls",
    "REST calls to portals, by Bitrix24 method and outcome.",
    ["method", "outcome"],
)
REST_CALL_DURATION = Histogram(
    "b24app_rest_call_duration_seconds",
    "Duration of REST calls to portals, by outcome.",
    ["outcome"],
    buckets=LATENCY_BUCKETS,
)
RATE_LIMIT_WAIT = Histogram(
    "b24app_rate_limit_wait_seconds",
    "Time spent waiting for a portal's request budget before a REST call.",
    buckets=WAIT_BUCKETS,
)
TOKEN_REFRESHES = Counter(
    "b24app_token_refreshes",
    "OAuth token refreshes, by outcome.",
    ["outcome"],
)
PORTALS_BY_STATE = Gauge(
    "b24app_portals",
    "Portals by state (active, needs_reauth, suspended, uninstalled), at scrape.",
    ["state"],
    multiprocess_mode="mostrecent",
)
SYNC_LAG = Gauge(
    "b24app_sync_lag_seconds",
    "Seconds since a portal's last completed CRM sync, by portal id.",
    ["portal_id"],
    multiprocess_mode="mostrecent",
)


def status_class(status_code: int) -> str:
    """Map 204 to "2xx", 503 to "5xx", so the label has at most five values."""
    return f"{status_code // 100}xx"


def observe_request(endpoint: str, status_code: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(endpoint, status_class(status_code)).observe(seconds)


def observe_event_received() -> None:
    """Count one event stored in the inbox."""
    EVENTS_RECEIVED.inc()


def observe_event_rejected(reason: str) -> None:
    """Count one rejected delivery; `reason` is a short fixed word, like "auth"."""
    EVENTS_REJECTED.labels(reason).inc()


def observe_event_processed(outcome: str) -> None:
    """Count one processed inbox event: "done", "failed", "skipped"."""
    EVENTS_PROCESSED.labels(outcome).inc()


def observe_rest_call(method: str, outcome: str, seconds: float) -> None:
    """Record one REST call: method like "crm.deal.get", outcome like "ok"."""
    REST_CALLS.labels(method, outcome).inc()
    REST_CALL_DURATION.labels(outcome).observe(seconds)


def observe_rate_limit_wait(seconds: float) -> None:
    RATE_LIMIT_WAIT.observe(seconds)


def observe_token_refresh(outcome: str) -> None:
    """Count one refresh: "ok", "invalid_grant", "error", ..."""
    TOKEN_REFRESHES.labels(outcome).inc()


def set_sync_lag(portal_id: int, seconds: float) -> None:
    SYNC_LAG.labels(str(portal_id)).set(seconds)


def forget_portal(portal_id: int) -> None:
    """Drop a portal's per-portal series, after it is uninstalled or purged."""
    try:
        SYNC_LAG.remove(str(portal_id))
    except KeyError:
        pass


def observe_job(queue: str, outcome: str, seconds: float) -> None:
    JOB_DURATION.labels(queue, outcome).observe(seconds)
    if outcome == "failed":
        JOB_FAILURES.labels(queue).inc()


@contextmanager
def timed_job(queue: str) -> Iterator[None]:
    """Time the enclosed job run and count it as failed if it raises."""
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        observe_job(queue, "failed", time.perf_counter() - started)
        raise
    observe_job(queue, "succeeded", time.perf_counter() - started)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def collecting_registry() -> CollectorRegistry:
    """Return the registry to expose: every process's files, or this process's."""
    directory = multiprocess_dir()
    if directory is None:
        return REGISTRY

    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry, path=directory)
    return registry


def render_latest() -> bytes:
    """Render all metrics in the Prometheus text exposition format."""
    return generate_latest(collecting_registry())


def mark_process_dead(pid: int) -> None:
    """Remove a dead process's live gauge files (gunicorn's `child_exit` hook)."""
    if multiprocess_dir() is not None:
        prometheus_multiprocess.mark_process_dead(pid)
