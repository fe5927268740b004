"""The embedded defaults: SQLite in the instance folder and jobs in this process."""

import threading

import pytest
from sqlalchemy import text

from b24app import create_app
from b24app.extensions import db
from b24app.jobs import enqueue, get_jobs

pytestmark = pytest.mark.embedded

RESULTS: list[tuple[int, str]] = []
SEEN_THREADS: list[str] = []


def record_result(number: int, label: str) -> None:
    SEEN_THREADS.append(threading.current_thread().name)
    db.session.execute(
        text("INSERT INTO embedded_probe (number, label) VALUES (:n, :l)"),
        {"n": number, "l": label},
    )
    db.session.commit()
    RESULTS.append((number, label))


FAILURES: list[int] = []


def fail_twice(number: int) -> None:
    FAILURES.append(number)
    if len(FAILURES) < 3:
        raise RuntimeError("planned failure")


@pytest.fixture
def embedded_app(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "B24_TOKEN_KEY"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_database_defaults_to_sqlite_file(embedded_app, tmp_path):
    url = embedded_app.config["SQLALCHEMY_DATABASE_URI"]

    assert url.startswith("sqlite:///")
    assert str(tmp_path / "instance") in url


def test_secrets_generated_in_instance_folder(embedded_app, tmp_path):
    key_file = tmp_path / "instance" / "token_key"

    assert key_file.exists()
    assert embedded_app.config["B24_TOKEN_KEY"] == key_file.read_text()
    assert len(embedded_app.config["SECRET_KEY"]) >= 40
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_generated_secrets_survive_restart(embedded_app, tmp_path):
    again = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})

    assert again.config["SECRET_KEY"] == embedded_app.config["SECRET_KEY"]
    assert again.config["B24_TOKEN_KEY"] == embedded_app.config["B24_TOKEN_KEY"]


def test_jobs_run_in_process_thread(embedded_app):
    db.session.execute(
        text("CREATE TABLE embedded_probe (number INTEGER, label VARCHAR(20))")
    )
    db.session.commit()
    RESULTS.clear()
    SEEN_THREADS.clear()
    jobs = get_jobs()

    assert jobs.redis is None
    enqueue(record_result, 1, "first")
    enqueue(record_result, 2, "second")
    jobs.inline.drain()

    assert RESULTS == [(1, "first"), (2, "second")]
    assert SEEN_THREADS == ["b24app-inline-worker", "b24app-inline-worker"]
    rows = db.session.execute(text("SELECT number FROM embedded_probe")).all()
    assert [row.number for row in rows] == [1, 2]


def test_inline_jobs_retry_by_policy(embedded_app, caplog):
    FAILURES.clear()
    jobs = get_jobs()

    enqueue(fail_twice, 7, retries=2, retry_intervals=[0])
    jobs.inline.drain()

    assert FAILURES == [7, 7, 7]
    assert jobs.inline.failed == []
    retried = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert [record.levelname for record in retried] == ["WARNING", "WARNING"]
    assert all(record.exc_info is None for record in retried)
    assert "RuntimeError: planned failure" in retried[0].getMessage()


def test_inline_job_failure_recorded(embedded_app):
    FAILURES.clear()
    jobs = get_jobs()

    enqueue(fail_twice, 8, retries=0)
    jobs.inline.drain()

    assert len(jobs.inline.failed) == 1
    assert jobs.inline.failed[0][1] == "RuntimeError"
