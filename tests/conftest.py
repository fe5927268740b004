"""Shared fixtures: a real PostgreSQL database, a real Redis database, the app.

The test run creates its own PostgreSQL database and picks a Redis database number
that no other run uses, so several runs on one machine do not disturb each other.
Each test starts from empty tables and an empty Redis database.
"""

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa
from werkzeug.serving import make_server

from b24app import create_app
from b24app.extensions import db
from b24app.settings import with_driver

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
TEST_FERNET_KEY = "Wl0z7nB8o3XW1m0E5GsHnqGm2b8s0T9cO8QK4yqv3Ac="


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A PostgreSQL database created for this test run, dropped at its end."""
    name = f"b24app_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        with_driver(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    yield f"{base}/{name}"

    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis database number reserved for this run through a lock key in db 0."""
    control = redis.Redis.from_url(f"{REDIS_BASE_URL}/0")
    owner = uuid.uuid4().hex
    for number in range(1, 16):
        if control.set(f"b24app:test-db-lock:{number}", owner, nx=True, ex=3600):
            break
    else:
        pytest.fail("all Redis databases 1-15 are reserved by other test runs")

    yield f"{REDIS_BASE_URL}/{number}"

    control.delete(f"b24app:test-db-lock:{number}")
    control.close()


@pytest.fixture(scope="session")
def app_config(database_url: str, redis_url: str, tmp_path_factory) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "B24_TOKEN_KEY": TEST_FERNET_KEY,
        "B24_CLIENT_ID": "local.b24apptest00000.00000001",
        "B24_CLIENT_SECRET": "test-client-secret-0123456789abcdef",
        "B24_ALLOW_INSECURE_PORTALS": True,
        "WTF_CSRF_ENABLED": True,
    }


@pytest.fixture(scope="session")
def _schema(app_config: dict) -> None:
    """Create every table once per run; the migration test checks migrations."""
    app = create_app(app_config)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        db.create_all()
        db.engine.dispose()


@pytest.fixture
def app(app_config: dict, _schema: None, redis_url: str):
    app = create_app(dict(app_config))
    with app.app_context():
        yield app
        db.session.remove()
        delete_used_rows()
        db.engine.dispose()
    redis.Redis.from_url(redis_url).flushdb()


def delete_used_rows() -> None:
    """Delete the rows of every non-empty table, children before parents.

    A TRUNCATE of every table took 0.5-1 s per test on a loaded machine; most
    tests touch a handful of small tables, and a DELETE of those is cheaper.
    """
    tables = db.metadata.sorted_tables
    # Table names come from our own metadata, never from input.
    probes = " UNION ALL ".join(
        f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM \"{table.name}\")"  # noqa: S608
        for table in tables
    )
    with db.engine.begin() as connection:
        used = set(connection.execute(sa.text(probes)).scalars())
        for table in reversed(tables):
            if table.name in used:
                connection.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class LiveServer:
    """The app served over real HTTP on a random loopback port, in a thread."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "LiveServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    app.config["B24_APP_URL"] = server.url
    yield server
    server.stop()
