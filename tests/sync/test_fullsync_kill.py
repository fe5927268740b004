"""A full sync worker killed with SIGKILL resumes from its committed checkpoint.

The sync runs in its own OS process, which kills itself with SIGKILL right
after its second successful batch request, the way an out-of-memory kill or a
lost container stops a worker. The kill point is a request count, not a time,
so the committed checkpoint is the same however busy the machine is.
"""

import signal

from b24app.extensions import db
from b24app.sync.fullsync import run_full_sync, start_full_sync
from b24app.sync.models import RunStatus, SyncRun

from .support import (
    RequestCounter,
    empty_client_buckets,
    mirror_differences,
    populate,
    run_killed_child,
    sync_command_env,
)

# The companies fit in one page, so the first batch carries contacts 51-2,550.
# The first chunk of 2,500 contacts is committed before the second batch is
# sent, and the child dies as that batch returns.
STUDENTS = 6000
CHUNK = 2500


def test_killed_full_sync_resumes(app, sync_portal, tmp_path):
    populate(sync_portal, students=STUDENTS, applications=300)
    env = sync_command_env(app, sync_portal.server)
    log_path = tmp_path / "sync.log"
    empty_client_buckets(app.config["REDIS_URL"])

    child = run_killed_child(sync_portal.portal_id, "full", "batch", 2, env, log_path)

    assert child.returncode == -signal.SIGKILL, log_path.read_text()[-2000:]
    db.session.expire_all()
    run = db.session.execute(
        db.select(SyncRun).order_by(SyncRun.id.desc()).limit(1)
    ).scalar_one()
    committed = dict(run.cursor["contact"])
    assert run.status == RunStatus.RUNNING
    assert run.cursor["company"]["done"]
    assert not committed["done"]
    assert run.counts["contact"] == CHUNK

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
    # Requests the emulator's rate limit turned away are retried and not counted.
    resumed_methods = [method for method, outcome in resumed.calls if outcome == "ok"]
    fresh_methods = [method for method, outcome in fresh.calls if outcome == "ok"]
    assert "crm.company.list" not in resumed_methods
    assert resumed_methods.count("batch") < fresh_methods.count("batch")
    assert len(resumed_methods) < len(fresh_methods)
    assert mirror_differences(sync_portal) == []
