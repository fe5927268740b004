"""The worker and scheduler commands' building blocks, on real Redis."""

import pytest
from rq import Queue
from rq.cron import CronScheduler

from b24app.extensions import db
from b24app.jobs import enqueue, get_jobs, run_job
from b24app.ops.periodic import PERIODIC_JOBS, periodic_jobs, register_periodic
from b24app.ops.scheduler import build_scheduler
from b24app.ops.worker import AppWorker, build_worker
from b24app.tenancy.models import Portal


def rename_portal(portal_id: int, domain: str) -> None:
    portal = db.session.get(Portal, portal_id)
    portal.domain = domain
    db.session.commit()


def test_forked_worker_runs_job_with_database(app, make_portal):
    portal = make_portal()
    enqueue(rename_portal, portal.id, "renamed.example.test", queue="sync")

    worker = build_worker(app, ("sync",))
    worker.work(burst=True)

    assert isinstance(worker, AppWorker)
    db.session.expire_all()
    assert db.session.get(Portal, portal.id).domain == "renamed.example.test"
    assert Queue("sync", connection=get_jobs(app).redis).count == 0


def test_build_worker_rejects_unknown_queue(app):
    with pytest.raises(Exception, match="unknown queue"):
        build_worker(app, ("events", "bogus"))


def test_periodic_jobs_reach_cron_scheduler(app):
    saved = dict(PERIODIC_JOBS)
    try:
        register_periodic("probe-every-minute", "b24app.ops.probe.probe", 60)
        register_periodic("probe-every-minute", "b24app.ops.probe.probe", 30)

        scheduler = build_scheduler(periodic_jobs())
    finally:
        PERIODIC_JOBS.clear()
        PERIODIC_JOBS.update(saved)

    assert isinstance(scheduler, CronScheduler)
    [cron_job] = [j for j in scheduler.get_jobs() if j.name == "probe-every-minute"]
    assert cron_job.interval == 30
    assert cron_job.queue_name == "default"
    assert cron_job.args[0] == "b24app.ops.probe.probe"


@pytest.mark.parametrize(("interval", "queue"), [(0, "default"), (60, "nosuchqueue")])
def test_register_periodic_rejects_bad_input(interval, queue):
    with pytest.raises(ValueError):
        register_periodic("bad", "b24app.ops.probe.probe", interval, queue)


def test_scheduler_enqueues_through_run_job(app):
    scheduler = build_scheduler([])
    scheduler.register(
        run_job,
        "default",
        args=("b24app.ops.probe.probe", (), {}, None),
        interval=60,
        name="probe",
    )

    scheduler.enqueue_jobs()

    assert Queue("default", connection=get_jobs(app).redis).count == 1
