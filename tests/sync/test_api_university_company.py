"""A university created through the API becomes a company in the emulated CRM.

Everything goes over real HTTP: the API call to the app's live server, the
outbox job's calls to the emulator, and the test's own read of the emulator's
CRM through an incoming webhook.
"""

import requests

from b24app.extensions import db
from b24app.program.api_keys import create_api_key
from b24app.program.models import University
from b24app.sync.fullsync import start_full_sync
from b24app.sync.models import RunStatus

from .support import run_jobs


def companies_titled(sync_portal, title: str) -> list[dict]:
    """Read companies from the emulator with crm.company.list over HTTP."""
    response = requests.post(
        sync_portal.server.webhook_url() + "crm.company.list",
        json={"filter": {"TITLE": title}, "select": ["*"]},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["result"]


def test_api_university_becomes_crm_company(app, live_server, sync_portal):
    key = create_api_key(sync_portal.portal_id, "admin").raw
    headers = {"Authorization": f"Bearer {key}"}

    response = requests.post(
        live_server.url + "/api/v1/universities",
        json={"name": "Volga Tech", "city": "Kazan", "domains": ["volga.test"]},
        headers=headers,
        timeout=30,
    )
    body = response.json()
    assert response.status_code == 202, body
    assert body["crm_status"] == "pending"
    assert body["university"]["bitrix_id"] is None
    assert response.headers["Location"] == body["status_url"]

    run_jobs(app)

    companies = companies_titled(sync_portal, "Volga Tech")
    university_id = body["university"]["id"]
    assert len(companies) == 1
    company = companies[0]
    assert company["COMPANY_TYPE"] == sync_portal.university_type
    assert company["ADDRESS_CITY"] == "Kazan"
    assert company["ORIGINATOR_ID"] == "b24app"
    assert company["ORIGIN_ID"] == f"university-{university_id}"

    university = db.session.get(University, university_id)
    assert university.bitrix_id == int(company["ID"])
    status = requests.get(body["status_url"], headers=headers, timeout=30).json()
    assert status == {
        "university_id": university_id,
        "bitrix_id": int(company["ID"]),
        "status": "sent",
        "attempts": 1,
        "last_error": "",
    }


def test_full_sync_keeps_what_the_api_sent(app, live_server, sync_portal):
    key = create_api_key(sync_portal.portal_id, "admin").raw
    requests.post(
        live_server.url + "/api/v1/universities",
        json={"name": "Kama State", "city": "Perm"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    run_jobs(app)

    run = start_full_sync(sync_portal.portal_id, run_now=True)

    db.session.expire_all()
    rows = db.session.execute(
        db.select(University).where(University.name == "Kama State")
    ).scalars()
    assert run.status == RunStatus.SUCCEEDED
    assert [(row.city, row.deleted, row.bitrix_id is not None) for row in rows] == [
        ("Perm", False, True)
    ]
