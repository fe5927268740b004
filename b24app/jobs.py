"""Background jobs: RQ queues on Redis, or an in-process worker thread without Redis.

Job functions are plain module-level functions that take ids, reload their rows and
are safe to run twice. Callers enqueue them through `enqueue()`, which records the
queue, timeout, TTLs and retry policy at the call site. Every job runs through
`run_job()`, which gives it an application context and stamps its id on log lines.
"""

import importlib
import logging
import queue as stdlib_queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from b24app import metrics
from b24app.logs import job_id_var, portal_id_var

log = logging.getLogger(__name__)

QUEUE_NAMES = ("events", "sync", "crm", "reports", "mail", "default")
EXTENSION_KEY = "b24app.jobs"


@dataclass
class JobSpec:
    """A job call and its policy (queue, timeouts, retries) set by its caller."""

    func: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    queue: str = "default"
    timeout: int = 300
    retries: int = 0
    retry_intervals: list[int] = field(default_factory=lambda: [10, 60, 300])
    result_ttl: int = 3600
    failure_ttl: int = 7 * 24 * 3600
    ttl: int | None = None
    job_id: str | None = None
    portal_id: int | None = None
    at_front: bool = False


def function_path(func: Callable | str) -> str:
    if isinstance(func, str):
        return func
    return f"{func.__module__}.{func.__qualname__}"


def resolve_function(path: str) -> Callable:
    module_name, _, name = path.rpartition(".")
    module = importlib.import_module(module_name)
    return getattr(module, name)


def run_job(path: str, args: tuple, kwargs: dict, portal_id: int | None = None) -> Any:
    """Run one job function with an app context and its ids on every log line."""
    from rq import get_current_job

    rq_job = get_current_job()
    job_token = job_id_var.set(rq_job.id if rq_job else job_id_var.get())
    portal_token = portal_id_var.set(portal_id)
    queue_name = rq_job.origin if rq_job else "inline"
    try:
        func = resolve_function(path)
        with metrics.timed_job(queue_name):
            if has_app_context():
                return func(*args, **kwargs)

            from b24app import create_app

            with create_app().app_context():
                return func(*args, **kwargs)
    finally:
        portal_id_var.reset(portal_token)
        job_id_var.reset(job_token)


class InlineWorker:
    """A single background thread that runs jobs in this process, in order.

    Used when no Redis is configured: requests still return at once, and retries
    follow the same policy as on RQ.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.pending: stdlib_queue.Queue[JobSpec | None] = stdlib_queue.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.failed: list[tuple[JobSpec, str]] = []
        # Ids of the jobs submitted with `submit_once` that have not finished.
        self.unique_ids: set[str] = set()

    def submit_once(self, spec: JobSpec) -> bool:
        """Submit `spec` unless a job with its id is waiting or running."""
        with self.lock:
            if spec.job_id in self.unique_ids:
                return False
            self.unique_ids.add(spec.job_id)
        self.submit(spec)
        return True

    def submit(self, spec: JobSpec) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._loop, name="b24app-inline-worker", daemon=True
                )
                self.thread.start()
        self.pending.put(spec)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait until every submitted job has finished (tests and the demo)."""
        deadline = time.monotonic() + timeout
        while self.pending.unfinished_tasks:
            if time.monotonic() > deadline:
                raise TimeoutError("in-process jobs did not finish in time")
            time.sleep(0.01)

    def _loop(self) -> None:
        while True:
            spec = self.pending.get()
            try:
                if spec is not None:
                    self._run_with_retries(spec)
            finally:
                if spec is not None:
                    with self.lock:
                        self.unique_ids.discard(spec.job_id)
                self.pending.task_done()

    def _run_with_retries(self, spec: JobSpec) -> None:
        token = job_id_var.set(spec.job_id)
        try:
            for attempt in range(spec.retries + 1):
                try:
                    with self.app.app_context():
                        run_job(spec.func, spec.args, spec.kwargs, spec.portal_id)
                    return
                except Exception as error:
                    if attempt == spec.retries:
                        log.exception(
                            "job %s (%s) failed on attempt %d; giving up",
                            spec.job_id,
                            spec.func,
                            attempt + 1,
                        )
                        self.failed.append((spec, type(error).__name__))
                        return
                    # A retried failure is often passing (SQLite's "database is
                    # locked" in the embedded mode), so it gets one line.
                    log.warning(
                        "job %s (%s) failed on attempt %d, retrying: %s",
                        spec.job_id,
                        spec.func,
                        attempt + 1,
                        first_line(error),
                    )
                    intervals = spec.retry_intervals or [0]
                    delay = intervals[min(attempt, len(intervals) - 1)]
                    time.sleep(min(delay, 5))
        finally:
            job_id_var.reset(token)


def first_line(error: Exception) -> str:
    """Return the error's type and first message line, without SQL or parameters."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).splitlines() or [""]
    return f"{type(cause).__name__}: {lines[0]}"[:300]


class JobQueue:
    """The app's job queue, stored in `app.extensions`."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.redis: Redis | None = None
        self.inline: InlineWorker | None = None

        redis_url = app.config.get("REDIS_URL")
        if redis_url:
            self.redis = Redis.from_url(redis_url)
        else:
            self.inline = InlineWorker(app)

    def queue(self, name: str) -> Queue:
        if self.redis is None:
            raise RuntimeError("RQ queues need REDIS_URL to be set")
        return Queue(name, connection=self.redis)

    def enqueue(self, spec: JobSpec) -> str:
        """Submit a job; returns its id."""
        spec.job_id = spec.job_id or uuid.uuid4().hex
        if self.inline is not None:
            self.inline.submit(spec)
            return spec.job_id

        self._enqueue_on_rq(spec, unique=False)
        return spec.job_id

    def enqueue_once(self, spec: JobSpec) -> bool:
        """Submit a job unless one with its id exists; returns whether it did."""
        if not spec.job_id:
            raise ValueError("a job enqueued once needs a job_id")
        if self.inline is not None:
            return self.inline.submit_once(spec)

        try:
            self._enqueue_on_rq(spec, unique=True)
        except DuplicateJobError:
            return False
        return True

    def _enqueue_on_rq(self, spec: JobSpec, unique: bool) -> None:
        retry = None
        if spec.retries:
            retry = Retry(max=spec.retries, interval=spec.retry_intervals)

        self.queue(spec.queue).enqueue(
            run_job,
            spec.func,
            spec.args,
            spec.kwargs,
            spec.portal_id,
            job_id=spec.job_id,
            job_timeout=spec.timeout,
            result_ttl=spec.result_ttl,
            failure_ttl=spec.failure_ttl,
            ttl=spec.ttl,
            retry=retry,
            at_front=spec.at_front,
            description=spec.func,
            meta={"portal_id": spec.portal_id},
            unique=unique,
        )


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = JobQueue(app)


def get_jobs(app: Flask | None = None) -> JobQueue:
    app = app or current_app
    return app.extensions[EXTENSION_KEY]


def enqueue(func: Callable | str, *args: Any, **options: Any) -> str:
    """Enqueue `func(*args)` with the policy given as keyword options.

    Options are the `JobSpec` fields (queue, timeout, retries, retry_intervals,
    result_ttl, failure_ttl, ttl, job_id, portal_id, at_front) plus `kwargs`.
    """
    spec = JobSpec(func=function_path(func), args=tuple(args), **options)
    return get_jobs().enqueue(spec)


def enqueue_once(func: Callable | str, *args: Any, job_id: str, **options: Any) -> bool:
    """Enqueue `func(*args)` as job `job_id` unless a job with that id exists.

    Returns whether it was enqueued. On RQ a job exists while it waits or runs,
    and after it ends for its `result_ttl` or `failure_ttl`: a `result_ttl` of
    0 frees the id as soon as the job succeeds. In-process, only waiting and
    running jobs count.
    """
    spec = JobSpec(func=function_path(func), args=tuple(args), job_id=job_id, **options)
    return get_jobs().enqueue_once(spec)


# States of an RQ job that will still run (or is running).
WAITING_STATES = {
    JobStatus.QUEUED,
    JobStatus.STARTED,
    JobStatus.DEFERRED,
    JobStatus.SCHEDULED,
}


def job_is_waiting(job_id: str) -> bool:
    """Return whether a job is queued, scheduled or running.

    Without Redis the in-process worker keeps no ids of ordinary jobs, so any
    unfinished job of its queue counts. A worker killed mid-job leaves its job
    "started" until RQ's registry cleanup fails it after the job's timeout.
    """
    jobs = get_jobs()
    if jobs.inline is not None:
        return jobs.inline.pending.unfinished_tasks > 0
    try:
        status = Job.fetch(job_id, connection=jobs.redis).get_status()
    except NoSuchJobError:
        return False
    return status in WAITING_STATES
