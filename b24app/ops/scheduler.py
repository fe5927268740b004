"""`b24app scheduler`: enqueue the registered periodic jobs on time (rq.cron)."""

import logging

import click
from flask import current_app
from flask.cli import with_appcontext
from rq.cron import CronScheduler

from b24app.jobs import get_jobs, run_job
from b24app.ops.periodic import PeriodicJob, periodic_jobs

log = logging.getLogger(__name__)


def build_scheduler(jobs: list[PeriodicJob]) -> CronScheduler:
    """A CronScheduler on the app's Redis with one entry per periodic job."""
    redis = get_jobs().redis
    if redis is None:
        raise click.ClickException(
            "the scheduler needs REDIS_URL; without Redis no periodic job runs"
        )

    scheduler = CronScheduler(connection=redis, logging_level=logging.INFO)
    for job in jobs:
        scheduler.register(
            run_job,
            job.queue,
            args=(job.func_path, (), {}, None),
            interval=job.interval_seconds,
            job_timeout=job.timeout,
            name=job.name,
        )
    return scheduler


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Enqueue periodic jobs on their intervals; run exactly one per deployment."""
    jobs = periodic_jobs()
    scheduler = build_scheduler(jobs)
    if not jobs:
        log.warning("no periodic jobs are registered; the scheduler only waits")
    for job in jobs:
        log.info(
            "periodic job %s: %s every %d s on queue %s",
            job.name,
            job.func_path,
            job.interval_seconds,
            job.queue,
        )

    log.info("scheduler starting for %s", current_app.name)
    scheduler.start()
