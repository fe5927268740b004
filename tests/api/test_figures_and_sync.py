"""Statistics from the analytics part, and starting a full sync."""

from rq import Queue

from b24app.extensions import db
from b24app.jobs import get_jobs
from b24app.sync.models import SyncRun

from .support import bearer

PROBLEM = "application/problem+json"


def apply(client, world, email: str) -> None:
    response = client.post(
        "/api/v1/applications",
        json={"internship_id": world.backend.id, "student": {"email": email}},
        headers=bearer(world.admin_key),
    )
    assert response.status_code == 201


def test_program_statistics(client, world):
    apply(client, world, "a@north.test")

    response = client.get(
        "/api/v1/statistics/program?date_from=2020-01-01",
        headers=bearer(world.admin_key),
    )

    body = response.get_json()
    assert response.status_code == 200
    assert body["filters"] == {"date_from": "2020-01-01"}
    assert len(body) > 1


def test_university_statistics_for_own_key(client, world):
    apply(client, world, "b@north.test")

    response = client.get(
        f"/api/v1/statistics/universities/{world.north.id}",
        headers=bearer(world.north_key),
    )

    assert response.status_code == 200
    assert response.get_json()["filters"] == {}


def test_statistics_errors(client, world):
    missing = client.get(
        "/api/v1/statistics/universities/424242", headers=bearer(world.admin_key)
    )
    reversed_dates = client.get(
        "/api/v1/statistics/program?date_from=2027-02-01&date_to=2027-01-01",
        headers=bearer(world.admin_key),
    )

    assert missing.status_code == 404
    assert missing.mimetype == PROBLEM
    assert reversed_dates.status_code == 422
    assert reversed_dates.get_json()["errors"][0]["field"] == "query.date_from"


def test_sync_start_queues_a_run(client, world):
    response = client.post("/api/v1/sync", json={}, headers=bearer(world.admin_key))

    body = response.get_json()
    assert response.status_code == 202
    assert body["status"] == "running"
    run = db.session.get(SyncRun, body["id"])
    assert run.portal_id == world.portal_id
    queued = Queue("sync", connection=get_jobs().redis).job_ids
    assert run.job_id in queued

    status = client.get(body["status_url"], headers=bearer(world.admin_key))
    assert status.status_code == 200
    assert status.get_json()["id"] == run.id


def test_sync_of_university_without_company_is_409(client, world):
    response = client.post(
        "/api/v1/sync",
        json={"university_id": world.north.id},
        headers=bearer(world.admin_key),
    )

    assert response.status_code == 409
    assert response.mimetype == PROBLEM
    assert "no CRM company" in response.get_json()["detail"]


def test_sync_run_of_other_portal_is_404(client, world, other):
    started = client.post("/api/v1/sync", json={}, headers=bearer(world.admin_key))

    response = client.get(
        started.get_json()["status_url"], headers=bearer(other.admin_key)
    )

    assert response.status_code == 404
