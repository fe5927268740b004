"""Hostile text in the names, cities and programmes sent to the API."""

import logging

import pytest
import requests
from api.support import bearer, build_world
from sync.conftest import emulator, sync_portal  # noqa: F401
from sync.support import run_jobs

from b24app.extensions import db
from b24app.program.api_keys import create_api_key
from b24app.program.models import University


@pytest.fixture
def world(app):
    return build_world()


def create(client, key: str, **fields):
    return client.post("/api/v1/universities", json=fields, headers=bearer(key))


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "Nul\x00 University"},
        {"name": "Bell\x07 University"},
        {"name": "Escape\x1b[2J University"},
        {"name": "North", "city": "Kaz\x00an"},
        {"name": "   "},
        {"name": "A" * 100_000},
        {"name": "North", "city": "C" * 100_000},
    ],
)
def test_hostile_university_fields_are_422(client, world, fields):
    response = create(client, world.admin_key, **fields)

    assert response.status_code == 422, response.get_json()


HOSTILE_TITLES = [
    '<img src=x onerror="alert(1)">University',
    "\u202eytisrevinU\u202c \u200fקמפוס",
    "Университет 🎓👩‍🎓",
    "Robert'); DROP TABLE b_crm_company;--",
]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_title_reaches_crm_as_sent(
    app,
    live_server,
    sync_portal,  # noqa: F811
    caplog,
    title,
):
    caplog.set_level(logging.DEBUG)
    key = create_api_key(sync_portal.portal_id, "admin").raw

    response = requests.post(
        live_server.url + "/api/v1/universities",
        json={"name": title, "city": "<b>Kazan</b>"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    run_jobs(app)

    assert response.status_code == 202, response.text
    university = db.session.get(University, response.json()["university"]["id"])
    with sync_portal.server.state.lock:
        rows = sync_portal.server.state.crm.tables["company"].rows
        company = dict(rows[university.bitrix_id])
    assert company["TITLE"] == title
    assert company["ADDRESS_CITY"] == "<b>Kazan</b>"
    tokens = sync_portal.server.state.tokens
    secrets = [key, *tokens.access, *tokens.refresh]
    assert len(secrets) > 1
    assert [secret for secret in secrets if secret in caplog.text] == []


@pytest.mark.parametrize("field", ["first_name", "last_name", "programme"])
def test_student_control_characters_are_rejected(client, world, field):
    item = {"email": "ann@north.test", "university_id": world.north.id}
    item[field] = "Ann\x1b[2J\x07"

    response = client.post(
        "/api/v1/students/bulk", json={"items": [item]}, headers=bearer(world.north_key)
    )

    body = response.get_json()
    assert response.status_code == 200
    assert body["created"] == 0
    assert body["items"][0]["status"] == "invalid"
