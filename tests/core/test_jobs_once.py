"""A job enqueued once per id: rejected while one with its id waits or runs."""

import threading

from rq import Queue, SimpleWorker

from b24app.jobs import InlineWorker, JobSpec, enqueue_once, get_jobs

CALLS: list[int] = []
RELEASE = threading.Event()


def remember(value: int) -> None:
    CALLS.append(value)


def wait_for_release(value: int) -> None:
    RELEASE.wait(timeout=10)
    CALLS.append(value)


def test_rq_rejects_duplicate_id_until_success(app):
    CALLS.clear()
    redis = get_jobs(app).redis

    first = enqueue_once(remember, 1, job_id="once-a", queue="sync", result_ttl=0)
    second = enqueue_once(remember, 2, job_id="once-a", queue="sync", result_ttl=0)
    SimpleWorker([Queue("sync", connection=redis)], connection=redis).work(burst=True)
    third = enqueue_once(remember, 3, job_id="once-a", queue="sync", result_ttl=0)

    assert (first, second, third) == (True, False, True)
    assert CALLS == [1]
    assert Queue("sync", connection=redis).job_ids == ["once-a"]


def test_inline_worker_rejects_duplicate_id(app):
    CALLS.clear()
    RELEASE.clear()
    worker = InlineWorker(app)

    def spec(value: int) -> JobSpec:
        path = f"{__name__}.wait_for_release"
        return JobSpec(func=path, args=(value,), job_id="once-b")

    first = worker.submit_once(spec(1))
    second = worker.submit_once(spec(2))
    RELEASE.set()
    worker.drain()
    third = worker.submit_once(spec(3))
    worker.drain()

    assert (first, second, third) == (True, False, True)
    assert CALLS == [1, 3]
