"""Jobs on real Redis through RQ, run by a burst worker in this process."""

from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry

from b24app.jobs import enqueue, get_jobs
from b24app.logs import job_id_var, portal_id_var

CALLS: list[tuple] = []


def remember_ids(value: int) -> None:
    CALLS.append((value, job_id_var.get(), portal_id_var.get()))


def always_fail() -> None:
    raise ValueError("planned failure")


def run_burst(app, name: str) -> None:
    jobs = get_jobs(app)
    SimpleWorker([Queue(name, connection=jobs.redis)], connection=jobs.redis).work(
        burst=True
    )


def test_job_runs_on_rq_with_ids(app):
    CALLS.clear()

    job_id = enqueue(remember_ids, 5, queue="sync", portal_id=3)
    run_burst(app, "sync")

    assert CALLS == [(5, job_id, 3)]


def test_job_policy_recorded_on_rq_job(app):
    jobs = get_jobs(app)

    job_id = enqueue(remember_ids, 1, queue="crm", timeout=77, retries=2)
    job = jobs.queue("crm").fetch_job(job_id)

    assert job.timeout == 77
    assert job.retries_left == 2
    assert job.meta["portal_id"] is None


def test_failed_job_lands_in_failed_registry(app):
    jobs = get_jobs(app)

    job_id = enqueue(always_fail, queue="events")
    run_burst(app, "events")

    registry = FailedJobRegistry("events", connection=jobs.redis)
    assert job_id in registry.get_job_ids()
