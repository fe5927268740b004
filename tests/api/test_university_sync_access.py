"""Who may start and read the sync of one university, and how a rejoin looks."""

import threading

import pytest
from rq import Queue

from b24app.extensions import db
from b24app.jobs import get_jobs
from b24app.sync.university_sync import start_university_sync

from .support import bearer

PROBLEM = "application/problem+json"


@pytest.fixture
def in_crm(world):
    """Give both universities a CRM company id, as a sync or the outbox would."""
    world.north.bitrix_id = 501
    world.south.bitrix_id = 502
    db.session.commit()
    return world


def start(client, key: str, university_id: int | None):
    body = {} if university_id is None else {"university_id": university_id}
    return client.post("/api/v1/sync", json=body, headers=bearer(key))


def queued_jobs() -> list[str]:
    return Queue("sync", connection=get_jobs().redis).job_ids


def test_university_key_starts_its_own_sync(client, in_crm):
    response = start(client, in_crm.north_key, in_crm.north.id)

    body = response.get_json()
    assert response.status_code == 202
    assert body["kind"] == "university"
    assert body["scope"] == {"university_id": in_crm.north.id, "company_id": 501}
    assert body["status"] == "running"
    assert queued_jobs() == [f"sync-university-{body['id']}-0"]

    status = client.get(body["status_url"], headers=bearer(in_crm.north_key))
    assert status.status_code == 200
    assert status.get_json()["scope"]["university_id"] == in_crm.north.id


def test_second_request_rejoins_the_run(client, in_crm):
    first = start(client, in_crm.admin_key, in_crm.north.id).get_json()
    second = start(client, in_crm.north_key, in_crm.north.id).get_json()
    other = start(client, in_crm.admin_key, in_crm.south.id).get_json()

    assert second["id"] == first["id"]
    assert other["id"] != first["id"]
    assert len(queued_jobs()) == 2


@pytest.mark.parametrize(
    "case",
    ["other university", "whole portal", "other university's run", "full run"],
)
def test_university_key_rejected_elsewhere(client, in_crm, case):
    north, south_run = in_crm.north_key, None
    if case == "other university":
        response = start(client, north, in_crm.south.id)
    elif case == "whole portal":
        response = start(client, north, None)
    else:
        target = in_crm.south.id if case == "other university's run" else None
        south_run = start(client, in_crm.admin_key, target).get_json()
        response = client.get(south_run["status_url"], headers=bearer(north))

    assert response.status_code == 403
    assert response.mimetype == PROBLEM
    assert response.get_json()["status"] == 403
    assert len(queued_jobs()) == (1 if south_run else 0)


def test_unknown_and_foreign_universities_are_404(client, in_crm, other):
    unknown = start(client, in_crm.admin_key, 424242)
    foreign = start(client, in_crm.admin_key, other.university.id)

    assert unknown.status_code == 404
    assert foreign.status_code == 404
    assert unknown.mimetype == PROBLEM
    assert queued_jobs() == []


def test_concurrent_starts_share_one_run(app, in_crm):
    """Eight simultaneous starts for one university queue a single job."""
    barrier = threading.Barrier(8)
    run_ids: list[int] = []
    # Read the ids here: the fixture's rows belong to this thread's session.
    portal_id, university_id = in_crm.portal_id, in_crm.north.id

    def start_in_thread() -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            run = start_university_sync(portal_id, university_id)
            run_ids.append(run.id)
            db.session.remove()

    threads = [threading.Thread(target=start_in_thread) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(run_ids) == 8
    assert len(set(run_ids)) == 1
    assert queued_jobs() == [f"sync-university-{run_ids[0]}-0"]
