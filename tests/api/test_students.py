"""Students: scoped lists and reads, and the bulk upsert with per-item results."""

from b24app.extensions import db
from b24app.program.models import Student

from .support import bearer, student


def test_university_key_lists_own_students(client, world):
    student(world.portal_id, world.north, 1)
    student(world.portal_id, world.south, 2)

    north = client.get("/api/v1/students", headers=bearer(world.north_key)).get_json()
    admin = client.get("/api/v1/students", headers=bearer(world.admin_key)).get_json()

    assert [row["university_id"] for row in north["data"]] == [world.north.id]
    assert len(admin["data"]) == 2


def test_student_filters(client, world):
    first = student(world.portal_id, world.north, 1, course=2)
    student(world.portal_id, world.north, 2, course=3)

    by_email = client.get(
        "/api/v1/students?email=STUDENT1@north.test", headers=bearer(world.north_key)
    )
    by_course = client.get("/api/v1/students?course=3", headers=bearer(world.north_key))
    by_skill = client.get(
        "/api/v1/students?skill=python", headers=bearer(world.north_key)
    )

    assert [row["id"] for row in by_email.get_json()["data"]] == [first.id]
    assert [row["course"] for row in by_course.get_json()["data"]] == [3]
    assert len(by_skill.get_json()["data"]) == 2


def test_student_get(client, world):
    row = student(world.portal_id, world.north, 1)

    response = client.get(f"/api/v1/students/{row.id}", headers=bearer(world.north_key))

    assert response.status_code == 200
    assert response.get_json()["email"] == "student1@north.test"


def test_bulk_upsert_reports_each_item(client, world):
    existing = student(world.portal_id, world.north, 1)
    items = [
        {"email": "student1@north.test", "course": 4},
        {"email": "new.person@north.test", "first_name": "New", "skills": ["Python"]},
        {"first_name": "Nobody"},
        {"email": "x@north.test", "course": 99},
        {"email": "y@north.test", "surname": "Typo"},
        "not an object",
        {"email": "z@north.test", "university_id": world.south.id},
    ]

    response = client.post(
        "/api/v1/students/bulk", json={"items": items}, headers=bearer(world.north_key)
    )

    body = response.get_json()
    assert response.status_code == 200
    statuses = [item["status"] for item in body["items"]]
    assert statuses == [
        "updated",
        "created",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert (body["created"], body["updated"], body["invalid"]) == (1, 1, 5)
    assert body["items"][0]["id"] == existing.id
    assert body["items"][0]["matched_by"] == "email"
    assert body["items"][3]["errors"][0]["field"] == "items.3.course"
    assert body["items"][4]["errors"][0]["field"] == "items.4.surname"

    db.session.expire_all()
    assert db.session.get(Student, existing.id).course == 4
    created = db.session.get(Student, body["items"][1]["id"])
    assert created.university_id == world.north.id
    assert created.skills == ["python"]
    assert db.session.query(Student).count() == 2


def test_bulk_upsert_keeps_other_university_students(client, world):
    southern = student(world.portal_id, world.south, 5)

    response = client.post(
        "/api/v1/students/bulk",
        json={"items": [{"email": southern.email, "first_name": "Hijack"}]},
        headers=bearer(world.north_key),
    )

    result = response.get_json()["items"][0]
    assert result["status"] == "invalid"
    db.session.expire_all()
    assert db.session.get(Student, southern.id).first_name == "Test"


def test_bulk_upsert_limits(client, world):
    empty = client.post(
        "/api/v1/students/bulk", json={"items": []}, headers=bearer(world.admin_key)
    )
    too_many = client.post(
        "/api/v1/students/bulk",
        json={"items": [{"email": f"s{n}@north.test"} for n in range(1001)]},
        headers=bearer(world.admin_key),
    )

    assert empty.status_code == 422
    assert too_many.status_code == 422
    assert too_many.get_json()["errors"][0]["field"] == "body.items"


def test_bulk_upsert_thousand_items(client, world):
    items = [{"email": f"s{n}@north.test", "course": 1} for n in range(1000)]

    response = client.post(
        "/api/v1/students/bulk", json={"items": items}, headers=bearer(world.north_key)
    )

    assert response.status_code == 200
    assert response.get_json()["created"] == 1000
