"""A full sync worker killed with SIGKILL resumes from its committed checkpoint.

The sync runs as `b24app sync full --now` in its own OS process against a
rate-limited emulator, so it takes a few seconds and can be killed between two
committed chunks, the way an out-of-memory kill or a lost container stops it.
"""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from b24app.extensions import db
from b24app.sync.fullsync import run_full_sync, start_full_sync
from b24app.sync.models import RunStatus, SyncRun

from .support import (
    RequestCounter,
    empty_client_buckets,
    mirror_differences,
    populate,
    sync_command_env,
)

STUDENTS = 6000
# The emulator admits two requests per second after a burst of three, and the
# child's own limiter sends one at a time at that rate, so the run takes seconds.
RATE_LIMIT = {"burst": 3, "rate": 2.0}
CLIENT_BURST = 1
CHECKPOINT_TIMEOUT = 20.0


def start_sync_process(portal_id: int, env: dict, log_path: Path) -> subprocess.Popen:
    # The console script is installed next to the interpreter running the tests.
    command = Path(sys.executable).with_name("b24app")
    with log_path.open("w") as log_file:
        return subprocess.Popen(
            [str(command), "sync", "full", "--portal", str(portal_id), "--now"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )


def wait_for_contact_checkpoint(process: subprocess.Popen, log_path: Path) -> SyncRun:
    """Poll the run row until a contact chunk is committed and more remain."""
    deadline = time.monotonic() + CHECKPOINT_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, (
            f"sync exited ({process.returncode}) before a mid-run checkpoint: "
            f"{log_path.read_text()[-2000:]}"
        )
        db.session.expire_all()
        run = db.session.execute(
            db.select(SyncRun).order_by(SyncRun.id.desc()).limit(1)
        ).scalar_one_or_none()
        position = run.cursor.get("contact", {}) if run else {}
        if position.get("last_id", 0) > 0 and not position.get("done"):
            return run
        time.sleep(0.05)
    pytest.fail(
        f"no contact checkpoint within {CHECKPOINT_TIMEOUT} s, last run {run!r} "
        f"at {run.cursor if run else None}: {log_path.read_text()[-2000:]}"
    )


def test_killed_full_sync_resumes(app, sync_portal, tmp_path):
    populate(sync_portal, students=STUDENTS, applications=300)
    sync_portal.admin("POST", "limits", {"rate_limit": RATE_LIMIT})
    env = sync_command_env(
        app, sync_portal.server, burst=CLIENT_BURST, rate=RATE_LIMIT["rate"]
    )
    log_path = tmp_path / "sync.log"

    empty_client_buckets(app.config["REDIS_URL"])
    process = start_sync_process(sync_portal.portal_id, env, log_path)
    try:
        run = wait_for_contact_checkpoint(process, log_path)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL

    db.session.expire_all()
    run = db.session.get(SyncRun, run.id)
    committed = dict(run.cursor["contact"])
    assert run.status == RunStatus.RUNNING
    assert run.cursor["company"]["done"]
    assert not committed["done"]
    assert 0 < run.counts["contact"] < STUDENTS

    # The resumed and the fresh run go in this process, without the rate limit,
    # so their requests can be counted one by one.
    sync_portal.admin("POST", "limits", {"rate_limit": None})
    with RequestCounter() as resumed:
        run_full_sync(run.id)

    db.session.expire_all()
    run = db.session.get(SyncRun, run.id)
    assert run.status == RunStatus.SUCCEEDED
    assert run.attempts == 2
    # Counts add up over attempts, so a restart from id 0 would count rows twice.
    assert run.counts["contact"] == STUDENTS
    assert run.cursor["contact"]["last_id"] > committed["last_id"]
    assert mirror_differences(sync_portal) == []

    with RequestCounter() as fresh:
        fresh_run = start_full_sync(sync_portal.portal_id, run_now=True)
    assert fresh_run.id != run.id
    # The resumed attempt reads neither the companies nor the committed contacts.
    resumed_methods = [method for method, _ in resumed.calls]
    fresh_methods = [method for method, _ in fresh.calls]
    assert "crm.company.list" not in resumed_methods
    assert resumed_methods.count("batch") < fresh_methods.count("batch")
    assert resumed.total < fresh.total
    assert mirror_differences(sync_portal) == []
