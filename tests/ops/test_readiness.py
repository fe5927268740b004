"""Liveness and readiness, with each dependency up and down."""

import pytest
import sqlalchemy as sa
from ops_support import closed_port
from rq import Queue, SimpleWorker

from b24app import create_app
from b24app.extensions import db
from b24app.jobs import get_jobs


def readyz(app) -> tuple[int, dict]:
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_json()


def test_healthz_answers_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_ready_when_all_up(app, stamped_schema):
    status, body = readyz(app)

    assert status == 200, body
    assert body["status"] == "ready"
    assert body["checks"]["database"]["state"] == "ok"
    assert body["checks"]["redis"]["state"] == "ok"
    expected = "skipped" if stamped_schema is None else "ok"
    assert body["checks"]["migrations"]["state"] == expected


def test_readyz_503_when_redis_down(app_config, stamped_schema):
    config = {**app_config, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}
    down = create_app(config)

    status, body = readyz(down)

    assert status == 503
    assert body["checks"]["redis"]["state"] == "failed"
    assert body["checks"]["redis"]["detail"] == "ConnectionError"
    assert body["checks"]["database"]["state"] == "ok"


def test_readyz_503_when_database_down(app_config):
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/b24app"
    down = create_app({**app_config, "DATABASE_URL": url})

    status, body = readyz(down)

    assert status == 503
    assert body["checks"]["database"]["state"] == "failed"
    assert body["checks"]["redis"]["state"] == "ok"


def test_readyz_503_when_migrations_behind(app, stamped_schema):
    if stamped_schema is None:
        pytest.skip("the project has no migration scripts yet")
    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'old'"))

    status, body = readyz(app)

    assert status == 503
    assert body["checks"]["migrations"]["state"] == "failed"


def test_readyz_missing_workers_not_required_by_default(app, stamped_schema):
    status, body = readyz(app)

    assert status == 200
    assert body["checks"]["workers"]["state"] == "failed"
    assert body["checks"]["workers"]["required"] is False


def test_readyz_requires_workers_when_configured(app, stamped_schema):
    app.config["READINESS_REQUIRE_WORKERS"] = True
    assert readyz(app)[0] == 503

    redis = get_jobs(app).redis
    worker = SimpleWorker([Queue("default", connection=redis)], connection=redis)
    worker.register_birth()
    try:
        status, body = readyz(app)
    finally:
        worker.register_death()

    assert status == 200
    assert body["checks"]["workers"]["state"] == "ok"


def test_readyz_skips_redis_checks_without_redis(app_config, stamped_schema):
    inline = create_app({**app_config, "REDIS_URL": None})

    status, body = readyz(inline)

    assert status == 200
    assert body["checks"]["redis"]["state"] == "skipped"
    assert body["checks"]["workers"]["state"] == "skipped"
