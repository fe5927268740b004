"""Full sync against the emulator: exact mirror, checkpoints, limits and tokens."""

import math

import pytest
import requests

from b24app.extensions import db
from b24app.program.models import Student
from b24app.sync.fullsync import run_full_sync, start_full_sync
from b24app.sync.models import CrmRecord, RunStatus, SyncRun

from .support import RequestCounter, StopAfter, mirror_differences, populate

# Per entity type (3): one count for the progress bar, one plain first page, and
# the rounding of its last batch.
REQUEST_OVERHEAD = 9


def crm_size(sync_portal) -> int:
    snapshot = sync_portal.server.state.snapshot()
    return sum(snapshot["counts"].values())


def test_full_sync_builds_exact_mirror(app, sync_portal):
    populate(sync_portal, students=3000, applications=400)

    with RequestCounter() as counter:
        run = start_full_sync(sync_portal.portal_id, run_now=True)

    db.session.refresh(run)
    assert run.status == RunStatus.SUCCEEDED
    assert counter.total <= math.ceil(crm_size(sync_portal) / 2500) + REQUEST_OVERHEAD
    assert run.requests == counter.total
    assert run.counts["contact"] == 3000
    assert mirror_differences(sync_portal) == []


def test_full_sync_resumes_from_checkpoint(app, sync_portal):
    populate(sync_portal, students=6000, applications=300)

    with StopAfter(7), pytest.raises(RuntimeError):
        start_full_sync(sync_portal.portal_id, run_now=True)
    run = db.session.execute(
        db.select(SyncRun).order_by(SyncRun.id.desc()).limit(1)
    ).scalar_one()
    assert run.status == RunStatus.FAILED
    committed = run.cursor["contact"]["last_id"]
    assert committed > 0

    with RequestCounter() as counter:
        run_full_sync(run.id)

    db.session.refresh(run)
    assert run.status == RunStatus.SUCCEEDED
    assert run.attempts == 2
    # The second attempt does not read the companies or the first contacts again.
    # The portal's users (one user.get page) are read on every attempt.
    crm_requests = [call for call in counter.calls if call[0] != "user.get"]
    assert len(crm_requests) < math.ceil(crm_size(sync_portal) / 2500) + 4
    assert mirror_differences(sync_portal) == []


def test_full_sync_survives_rate_limit_and_expiry(app, sync_portal):
    populate(sync_portal, students=4000, applications=200)
    sync_portal.admin("POST", "limits", {"rate_limit": {"burst": 2, "rate": 4}})
    expired = []

    def expire_once(method: str, outcome: str, seconds: float) -> None:
        if not expired and method == "batch":
            expired.append(sync_portal.admin("POST", "tokens/expire"))

    with RequestCounter() as counter:
        from b24app.sync.client import add_request_listener, remove_request_listener

        add_request_listener(expire_once)
        try:
            run = start_full_sync(sync_portal.portal_id, run_now=True)
        finally:
            remove_request_listener(expire_once)

    db.session.refresh(run)
    outcomes = {outcome for _, outcome in counter.calls}
    assert run.status == RunStatus.SUCCEEDED
    assert expired
    assert "expired_token" in outcomes
    assert "QUERY_LIMIT_EXCEEDED" in outcomes
    assert mirror_differences(sync_portal) == []


def test_second_full_sync_tombstones_unseen(app, sync_portal):
    ids = populate(sync_portal, students=50, applications=40)
    start_full_sync(sync_portal.portal_id, run_now=True)
    gone_student = ids["student"][0]
    with sync_portal.server.state.lock:
        sync_portal.server.state.crm.delete("contact", gone_student)
        sync_portal.server.state.crm.delete("deal", ids["application"][1])

    start_full_sync(sync_portal.portal_id, run_now=True)

    record = db.session.execute(
        db.select(CrmRecord).where(
            CrmRecord.entity_type == "contact", CrmRecord.bitrix_id == gone_student
        )
    ).scalar_one()
    assert record.deleted_at is not None
    assert mirror_differences(sync_portal) == []
    assert requests  # the emulator stays reachable for the comparison above


def test_full_sync_skips_one_bad_record(app, sync_portal, poisoned_student_rows):
    ids = populate(sync_portal, students=300, applications=0)
    poisoned = sync_portal.add(
        "contact", {"NAME": "Poisoned", "COMPANY_ID": ids["university"][0]}
    )

    run = start_full_sync(sync_portal.portal_id, run_now=True)

    db.session.refresh(run)
    assert run.status == RunStatus.SUCCEEDED
    assert run.cursor["rejected"] == {"contact": 1}
    assert run.counts["contact"] == 301
    stored = db.session.execute(
        db.select(db.func.count()).select_from(Student).where(Student.bitrix_id > 0)
    ).scalar_one()
    assert stored == 300
    assert (
        db.session.execute(
            db.select(Student).filter_by(bitrix_id=poisoned)
        ).scalar_one_or_none()
        is None
    )
