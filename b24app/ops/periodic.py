"""The registry of periodic jobs that `b24app scheduler` enqueues.

Subsystems register their jobs when their module is imported or in their
`init_app`, for example::

    register_periodic("inbox-sweeper", "b24app.events.sweeper.sweep", 60, "events")

The scheduler enqueues each one through `b24app.jobs.run_job`, so periodic jobs get
the same app context, log ids and metrics as any other job.
"""

from dataclasses import dataclass

from b24app.jobs import QUEUE_NAMES


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    func_path: str
    interval_seconds: int
    queue: str = "default"
    timeout: int = 300


PERIODIC_JOBS: dict[str, PeriodicJob] = {}


def register_periodic(
    name: str,
    func_path: str,
    interval_seconds: int,
    queue: str = "default",
    timeout: int = 300,
) -> PeriodicJob:
    """Run `func_path` every `interval_seconds` on `queue`; a repeated name replaces.

    Replacing keeps registration idempotent, since apps and tests create the app,
    and so run `init_app` functions, more than once per process.
    """
    if interval_seconds < 1:
        raise ValueError(f"interval of {name!r} must be at least 1 second")
    if queue not in QUEUE_NAMES:
        raise ValueError(
            f"unknown queue {queue!r} for {name!r}: use one of {QUEUE_NAMES}"
        )

    job = PeriodicJob(name, func_path, interval_seconds, queue, timeout)
    PERIODIC_JOBS[name] = job
    return job


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(PERIODIC_JOBS.values(), key=lambda job: job.name)
