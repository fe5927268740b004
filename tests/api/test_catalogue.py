"""Internships, universities and companies: lists, filters, pages and reads."""

from datetime import datetime

import pytest

from b24app.extensions import db
from b24app.program.models import CrmOutbox, University

from .support import bearer, internship

PROBLEM = "application/problem+json"


def titles(response) -> list[str]:
    return [row["title"] for row in response.get_json()["data"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Backend intern", "Design intern", "Draft intern"]),
        ("status=open", ["Backend intern", "Design intern"]),
        ("skill=Python", ["Backend intern"]),
        ("city=sochi", ["Design intern"]),
        ("starts_from=2027-07-01", ["Design intern"]),
        ("starts_to=2027-07-01", ["Backend intern"]),
        ("sort=-title", ["Draft intern", "Design intern", "Backend intern"]),
    ],
)
def test_internship_filters(client, world, query, expected):
    response = client.get(
        f"/api/v1/internships?{query}", headers=bearer(world.admin_key)
    )

    assert response.status_code == 200
    assert titles(response) == expected


def test_internship_employer_filter(client, world):
    response = client.get(
        f"/api/v1/internships?employer_id={world.acme.id}",
        headers=bearer(world.admin_key),
    )
    none = client.get(
        f"/api/v1/internships?employer_id={world.acme.id + 100}",
        headers=bearer(world.admin_key),
    )

    assert len(titles(response)) == 3
    assert titles(none) == []


def test_university_key_does_not_see_drafts(client, world):
    listed = client.get("/api/v1/internships", headers=bearer(world.north_key))
    draft = client.get(
        f"/api/v1/internships/{world.draft.id}", headers=bearer(world.north_key)
    )

    assert "Draft intern" not in titles(listed)
    assert draft.status_code == 404


def test_internship_get_has_aware_dates(client, world):
    response = client.get(
        f"/api/v1/internships/{world.design.id}", headers=bearer(world.admin_key)
    )

    body = response.get_json()
    assert response.status_code == 200
    assert body["university_ids"] == [world.south.id]
    assert body["starts_on"] == "2027-09-01"
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert datetime.fromisoformat(body["applications_close_at"]).tzinfo is not None


def test_pages_follow_next_links(client, world):
    for number in range(5):
        internship(world.portal_id, world.acme, f"Extra {number}")
    seen = []
    url = "/api/v1/internships?limit=3&sort=-created_at"

    while url:
        response = client.get(url, headers=bearer(world.admin_key))
        assert response.status_code == 200
        page = response.get_json()
        seen.extend(row["id"] for row in page["data"])
        url = page["next"]

    assert len(seen) == 8
    assert len(set(seen)) == 8


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=201", "query.limit"),
        ("limit=0", "query.limit"),
        ("sort=secret", "query.sort"),
        ("cursor=forged", "query.cursor"),
        ("status=sleeping", "query.status"),
        ("starts_from=yesterday", "query.starts_from"),
        ("colour=red", "query.colour"),
    ],
)
def test_invalid_list_parameters_are_422(client, world, query, field):
    response = client.get(
        f"/api/v1/internships?{query}", headers=bearer(world.admin_key)
    )

    body = response.get_json()
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert body["errors"][0]["field"] == field


def test_cursor_is_bound_to_its_filters(client, world):
    first = client.get("/api/v1/internships?limit=1", headers=bearer(world.admin_key))
    cursor = first.get_json()["next"].split("cursor=")[1]

    response = client.get(
        f"/api/v1/internships?limit=1&status=open&cursor={cursor}",
        headers=bearer(world.admin_key),
    )

    assert response.status_code == 422


def test_missing_internship_is_404(client, world):
    response = client.get("/api/v1/internships/999999", headers=bearer(world.admin_key))

    assert response.status_code == 404
    assert response.mimetype == PROBLEM


def test_universities_list_and_get(client, world):
    listed = client.get(
        "/api/v1/universities?name=north", headers=bearer(world.north_key)
    )
    one = client.get(
        f"/api/v1/universities/{world.south.id}", headers=bearer(world.north_key)
    )

    assert [row["name"] for row in listed.get_json()["data"]] == ["North Tech"]
    assert one.get_json()["domains"] == ["south.test"]


def test_university_create_queues_crm_company(client, world):
    response = client.post(
        "/api/v1/universities",
        json={"name": "East College", "city": "Omsk", "domains": ["East.test"]},
        headers=bearer(world.admin_key),
    )

    body = response.get_json()
    assert response.status_code == 202
    assert body["crm_status"] == "pending"
    assert response.headers["Location"] == body["status_url"]
    university = db.session.get(University, body["university"]["id"])
    assert university.domains == ["east.test"]
    intent = db.session.query(CrmOutbox).filter_by(entity_id=university.id).one()
    assert intent.kind == "create_university_company"
    assert intent.entity_type == "university"
    assert intent.status == "pending"

    status = client.get(body["status_url"], headers=bearer(world.admin_key))
    assert status.get_json()["status"] == "pending"
    assert status.get_json()["bitrix_id"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body.name"),
        ({"name": ""}, "body.name"),
        ({"name": "X", "domains": ["not a domain"]}, "body.domains.0"),
        ({"name": "X", "rank": 1}, "body.rank"),
    ],
)
def test_university_create_invalid_is_422(client, world, body, field):
    response = client.post(
        "/api/v1/universities", json=body, headers=bearer(world.admin_key)
    )

    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == field


def test_university_create_needs_json(client, world):
    text = client.post(
        "/api/v1/universities", data="name=X", headers=bearer(world.admin_key)
    )
    broken = client.post(
        "/api/v1/universities",
        data="{",
        content_type="application/json",
        headers=bearer(world.admin_key),
    )

    assert text.status_code == 415
    assert broken.status_code == 400


def test_companies_list_and_get(client, world):
    listed = client.get(
        "/api/v1/companies?industry=it", headers=bearer(world.north_key)
    )
    one = client.get(
        f"/api/v1/companies/{world.acme.id}", headers=bearer(world.north_key)
    )
    missing = client.get("/api/v1/companies/424242", headers=bearer(world.north_key))

    assert [row["name"] for row in listed.get_json()["data"]] == ["Acme Soft"]
    assert one.get_json()["city"] == "Kazan"
    assert missing.status_code == 404
