"""Applications through the routing engine, and their lists and reads."""

from rq import Queue

from b24app.extensions import db
from b24app.jobs import get_jobs
from b24app.program.models import Application, ApplicationAttempt

from .support import bearer, student

PROBLEM = "application/problem+json"


def submit(client, key: str, body: dict):
    return client.post("/api/v1/applications", json=body, headers=bearer(key))


def test_accepted_application_is_201(client, world):
    response = submit(
        client,
        world.north_key,
        {
            "internship_id": world.backend.id,
            "student": {"email": "ann@north.test", "first_name": "Ann", "course": 2},
        },
    )

    body = response.get_json()
    assert response.status_code == 201, body
    assert body["accepted"] is True
    assert body["internship_id"] == world.backend.id
    assert response.headers["Location"] == body["application_url"]
    application = db.session.get(Application, body["application_id"])
    assert application.university_id == world.north.id
    assert application.source == "api"


def test_rejected_application_returns_reason(client, world):
    response = submit(
        client,
        world.north_key,
        {"internship_id": world.design.id, "student": {"email": "bob@north.test"}},
    )

    body = response.get_json()
    assert response.status_code == 200
    assert body["accepted"] is False
    assert body["reason_code"] not in ("", "accepted")
    assert body["application_id"] is None
    assert db.session.query(ApplicationAttempt).count() == 1


def test_application_without_identity_is_rejected(client, world):
    response = submit(
        client, world.admin_key, {"internship_id": world.backend.id, "student": {}}
    )

    assert response.status_code == 200
    assert response.get_json()["reason_code"] == "invalid_request"


def test_application_for_other_university_is_403(client, world):
    named = submit(
        client,
        world.north_key,
        {
            "internship_id": world.backend.id,
            "student": {"email": "c@south.test", "university_id": world.south.id},
        },
    )
    southern = student(world.portal_id, world.south, 7)
    matched = submit(
        client,
        world.north_key,
        {"internship_id": world.backend.id, "student": {"email": southern.email}},
    )

    assert named.status_code == 403
    assert matched.status_code == 403
    assert matched.mimetype == PROBLEM
    assert db.session.query(Application).count() == 0


def test_application_body_errors_are_422(client, world):
    response = submit(
        client,
        world.admin_key,
        {"internship_id": "first", "student": {"email": 5}},
    )

    fields = {item["field"] for item in response.get_json()["errors"]}
    assert response.status_code == 422
    assert fields == {"body.internship_id", "body.student.email"}


def test_applications_list_and_get_are_scoped(client, world):
    north = submit(
        client,
        world.admin_key,
        {"internship_id": world.backend.id, "student": {"email": "d@north.test"}},
    ).get_json()
    south = submit(
        client,
        world.admin_key,
        {"internship_id": world.backend.id, "student": {"email": "e@south.test"}},
    ).get_json()

    listed = client.get("/api/v1/applications", headers=bearer(world.north_key))
    own = client.get(
        f"/api/v1/applications/{north['application_id']}",
        headers=bearer(world.north_key),
    )
    foreign = client.get(
        f"/api/v1/applications/{south['application_id']}",
        headers=bearer(world.north_key),
    )
    staged = client.get(
        "/api/v1/applications?stage=new", headers=bearer(world.admin_key)
    )

    assert [row["id"] for row in listed.get_json()["data"]] == [north["application_id"]]
    assert own.status_code == 200
    assert own.get_json()["stage"] == "new"
    assert foreign.status_code == 404
    assert len(staged.get_json()["data"]) == 2


def test_applications_date_filter_needs_time_zone(client, world):
    naive = client.get(
        "/api/v1/applications?created_from=2027-01-01T00:00:00",
        headers=bearer(world.admin_key),
    )
    aware = client.get(
        "/api/v1/applications?created_from=2027-01-01T00:00:00%2B03:00",
        headers=bearer(world.admin_key),
    )

    assert naive.status_code == 422
    assert aware.status_code == 200


def test_accepted_application_queues_crm_delivery(app, client, world):
    response = submit(
        client,
        world.north_key,
        {
            "internship_id": world.backend.id,
            "student": {"email": "ann@north.test", "first_name": "Ann", "course": 2},
        },
    )

    queue = Queue("crm", connection=get_jobs(app).redis)
    queued = [job.args[0] for job in queue.get_jobs()]
    assert response.status_code == 201
    assert "b24app.sync.outbound.deliver_outbox" in queued
