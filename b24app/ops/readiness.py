"""Readiness checks: can this process do its work right now?

Each check talks only to our own services (PostgreSQL, Redis), with a short
timeout, and never to a portal. A check returns a `CheckResult`; `run_checks`
collects them, and the instance is ready when no required check failed.
"""

import functools
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from b24app import ROOT
from b24app.ops.queues import recent_workers

log = logging.getLogger(__name__)

OK = "ok"
FAILED = "failed"
SKIPPED = "skipped"
EXTENSION_KEY = "b24app.readiness"


@dataclass
class CheckResult:
    name: str
    state: str
    detail: str = ""
    required: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


@functools.cache
def migration_head(directory: str) -> str | None:
    """The single head revision of the migration scripts, read once per process."""
    if not (Path(directory) / "env.py").exists():
        return None
    return ScriptDirectory(directory).get_current_head()


def readiness_engine(app: Flask) -> sa.Engine:
    """A small engine for checks: no pool, short connect and statement timeouts.

    The app's own pool waits for a free connection when busy; a probe should
    report the database itself, quickly.
    """
    engine = app.extensions.get(EXTENSION_KEY)
    if engine is not None:
        return engine

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    timeout = app.config["READINESS_TIMEOUT"]
    connect_args: dict = {}
    if url.startswith("postgresql"):
        connect_args = {
            "connect_timeout": max(1, int(timeout)),
            "options": f"-c statement_timeout={int(timeout * 1000)}",
        }
    engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    app.extensions[EXTENSION_KEY] = engine
    return engine


def check_database(app: Flask) -> CheckResult:
    try:
        with readiness_engine(app).connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as error:
        return CheckResult("database", FAILED, type(error.orig or error).__name__)
    return CheckResult("database", OK)


def check_migrations(app: Flask) -> CheckResult:
    head = migration_head(str(ROOT / "migrations"))
    if head is None:
        return CheckResult("migrations", SKIPPED, "no migration scripts")

    try:
        with readiness_engine(app).connect() as connection:
            current = connection.execute(
                sa.text("SELECT version_num FROM alembic_version")
            ).scalar()
    except SQLAlchemyError as error:
        return CheckResult("migrations", FAILED, type(error.orig or error).__name__)

    if current != head:
        return CheckResult("migrations", FAILED, f"database at {current}, head {head}")
    return CheckResult("migrations", OK, head)


def readiness_redis(app: Flask) -> Redis:
    timeout = app.config["READINESS_TIMEOUT"]
    return Redis.from_url(
        app.config["REDIS_URL"], socket_connect_timeout=timeout, socket_timeout=timeout
    )


def check_redis(app: Flask) -> CheckResult:
    if not app.config.get("REDIS_URL"):
        return CheckResult("redis", SKIPPED, "no REDIS_URL: jobs run in-process")

    client = readiness_redis(app)
    try:
        client.ping()
    except RedisError as error:
        return CheckResult("redis", FAILED, type(error).__name__)
    finally:
        client.close()
    return CheckResult("redis", OK)


def check_workers(app: Flask) -> CheckResult:
    """At least one RQ worker sent a heartbeat within WORKER_MAX_SILENCE seconds.

    Not required by default: taking web instances out of service because the
    workers are down would also stop event intake, and stored events wait in
    the inbox until workers return.
    """
    required = bool(app.config["READINESS_REQUIRE_WORKERS"])
    if not app.config.get("REDIS_URL"):
        return CheckResult("workers", SKIPPED, "jobs run in-process", required)

    client = readiness_redis(app)
    try:
        alive = recent_workers(client, app.config["WORKER_MAX_SILENCE"])
    except RedisError as error:
        return CheckResult("workers", FAILED, type(error).__name__, required)
    finally:
        client.close()

    if not alive:
        return CheckResult("workers", FAILED, "no worker heartbeat", required)
    return CheckResult("workers", OK, f"{len(alive)} alive", required)


CHECKS = (check_database, check_migrations, check_redis, check_workers)


def run_checks(app: Flask) -> tuple[bool, list[CheckResult]]:
    """Run every check; ready unless a required check failed."""
    results = [check(app) for check in CHECKS]
    for result in results:
        if result.state == FAILED:
            log.warning("readiness check %s failed: %s", result.name, result.detail)

    ready = not any(r.state == FAILED and r.required for r in results)
    return ready, results
