"""Read RQ's state in Redis: queue depths, failed jobs, live workers."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.registry import FailedJobRegistry

from b24app.jobs import QUEUE_NAMES

log = logging.getLogger(__name__)


@dataclass
class QueueCounts:
    name: str
    waiting: int
    failed: int


def queue_counts(
    redis: Redis, names: tuple[str, ...] = QUEUE_NAMES
) -> list[QueueCounts]:
    """Waiting and failed job counts per queue: two cheap Redis reads per queue."""
    counts = []
    for name in names:
        queue = Queue(name, connection=redis)
        failed = FailedJobRegistry(queue=queue)
        counts.append(QueueCounts(name, queue.count, failed.count))
    return counts


def retry_failed_jobs(redis: Redis, name: str) -> int:
    """Put every job in the queue's failed job registry back on the queue."""
    queue = Queue(name, connection=redis)
    registry = FailedJobRegistry(queue=queue)
    requeued = 0

    for job_id in registry.get_job_ids():
        try:
            registry.requeue(job_id)
        except (NoSuchJobError, InvalidJobOperation) as error:
            # A job whose data expired, or that another operator just requeued,
            # is skipped; the rest are still requeued.
            log.warning(
                "failed job %s on queue %s was not requeued: %s",
                job_id,
                name,
                type(error).__name__,
            )
            continue
        requeued += 1

    return requeued


def recent_workers(redis: Redis, max_age_seconds: float) -> list[Worker]:
    """Workers registered in Redis whose last heartbeat is within `max_age_seconds`."""
    now = datetime.now(UTC)
    alive = []
    for worker in Worker.all(connection=redis):
        heartbeat = worker.last_heartbeat
        if heartbeat is None:
            continue
        if heartbeat.tzinfo is None:
            heartbeat = heartbeat.replace(tzinfo=UTC)
        if (now - heartbeat).total_seconds() <= max_age_seconds:
            alive.append(worker)
    return alive
