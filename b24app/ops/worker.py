"""`b24app worker`: an RQ worker that runs every job inside the app's context."""

import logging
import os

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from prometheus_client import start_http_server
from rq import Queue, SimpleWorker, Worker

from b24app import metrics
from b24app.extensions import db
from b24app.jobs import QUEUE_NAMES, get_jobs

log = logging.getLogger(__name__)

# An idle RQ worker sends a heartbeat every WORKER_TTL - 15 seconds; RQ's default
# of 420 s would make the readiness check's WORKER_MAX_SILENCE useless.
WORKER_TTL = 60


class AppWorkerMixin:
    """Run each job with a fresh app context, so its session ends with the job."""

    app: Flask

    def perform_job(self, job, queue) -> bool:  # type: ignore[no-untyped-def]
        with self.app.app_context():
            return super().perform_job(job, queue)  # type: ignore[misc]


class AppWorker(AppWorkerMixin, Worker):
    """The forking worker: each job runs in a work horse forked from this process."""

    def main_work_horse(self, job, queue) -> None:  # type: ignore[no-untyped-def]
        # Connections inherited through fork() are shared with the parent; closing
        # them here would break the parent's, so the horse only drops its copies.
        with self.app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
        metrics.mark_work_horse(os.getppid())
        super().main_work_horse(job, queue)


class AppSimpleWorker(AppWorkerMixin, SimpleWorker):
    """Runs jobs in this process: for debugging and platforms without fork()."""


def build_worker(
    app: Flask, queue_names: tuple[str, ...], simple: bool = False
) -> Worker:
    redis = get_jobs(app).redis
    if redis is None:
        raise click.ClickException(
            "the worker needs REDIS_URL; without Redis jobs run inside the web process"
        )

    unknown = sorted(set(queue_names) - set(QUEUE_NAMES))
    if unknown:
        raise click.BadParameter(
            f"unknown queue(s) {', '.join(unknown)}: use {', '.join(QUEUE_NAMES)}"
        )

    worker_class = AppSimpleWorker if simple else AppWorker
    queues = [Queue(name, connection=redis) for name in queue_names]
    worker = worker_class(queues, connection=redis, worker_ttl=WORKER_TTL)
    worker.app = app
    return worker


def serve_worker_metrics(port: int, simple: bool) -> None:
    if not simple and metrics.multiprocess_dir() is None:
        log.warning(
            "PROMETHEUS_MULTIPROC_DIR is not set: metrics recorded in work horses "
            "are lost; set it to an empty folder private to this worker"
        )
    start_http_server(port, registry=metrics.collecting_registry())
    log.info("worker metrics served on port %d", port)


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Exit once the queues are empty.")
@click.option(
    "--simple", is_flag=True, help="Run jobs in this process instead of forking."
)
@click.option(
    "--metrics-port",
    type=int,
    envvar="WORKER_METRICS_PORT",
    help="Serve Prometheus metrics on this TCP port (all interfaces).",
)
@with_appcontext
def worker_command(
    queues: tuple[str, ...], burst: bool, simple: bool, metrics_port: int | None
) -> None:
    """Run jobs from QUEUES, in the order given; all queues by default."""
    queue_names = queues or QUEUE_NAMES
    worker = build_worker(current_app._get_current_object(), queue_names, simple)
    if metrics_port:
        serve_worker_metrics(metrics_port, simple)

    log.info("worker %s listening on %s", worker.name, ", ".join(queue_names))
    worker.work(burst=burst, with_scheduler=True)
