"""Intake admin pages in the Bitrix24 frame: settings, keys, import, CRM setup."""

import io

import pytest
from sqlalchemy import func, select

from b24app.extensions import db
from b24app.program.api_keys import ApiKey, authenticate_api_key
from b24app.program.importing import csv_bytes
from b24app.program.models import Student
from b24app.web.session import SESSION_HEADER, FrameSession, issue_session_token

HEADER = ["Last name", "First name", "Email", "Student ID"]


def session_headers(site, admin: bool = True, lang: str = "en") -> dict:
    token = issue_session_token(FrameSession(site.portal_id, 1, admin, lang))
    return {SESSION_HEADER: token, "HX-Request": "true"}


def student_count() -> int:
    return db.session.execute(select(func.count(Student.id))).scalar_one()


def upload(client, site, rows, action: str):
    data = {
        "university_id": str(site.university.id),
        "action": action,
        "lang": "en",
        "file": (io.BytesIO(csv_bytes([HEADER, *rows])), "students.csv"),
    }
    return client.post(
        "/intake/import",
        data=data,
        headers=session_headers(site),
        content_type="multipart/form-data",
    )


def test_settings_shows_public_link(client, site):
    page = client.get("/intake/settings", headers=session_headers(site))

    assert page.status_code == 200
    assert f"/p/{site.slug}/" in page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/intake/settings"])
def test_settings_needs_admin(client, site, path):
    assert (
        client.get(path, headers=session_headers(site, admin=False)).status_code == 403
    )
    assert client.get(path).status_code == 401


def test_create_key_shows_it_once(client, site):
    response = client.post(
        "/intake/keys",
        data={"label": "Registrar", "university_id": str(site.university.id)},
        headers=session_headers(site),
    )
    page = response.get_data(as_text=True)
    raw = page.split("data-new-key>")[1].split("</code>")[0]
    listing = client.get("/intake/settings", headers=session_headers(site))

    assert response.status_code == 200
    assert authenticate_api_key(raw) is not None
    assert raw not in listing.get_data(as_text=True)


def test_revoke_key(client, site):
    client.post("/intake/keys", data={"label": "x"}, headers=session_headers(site))
    key = db.session.execute(select(ApiKey)).scalar_one()

    response = client.post(
        f"/intake/keys/{key.id}/revoke", headers=session_headers(site)
    )
    db.session.refresh(key)

    assert response.status_code == 200
    assert key.revoked_at is not None


def test_import_preview_then_commit(client, site):
    rows = [["Doe", "Jane", "jane@uni.example.test", "A1"],
            ["Roe", "Rick", "rick@uni.example.test", "A2"]]  # fmt: skip

    preview = upload(client, site, rows, "preview")
    assert preview.status_code == 200
    assert "jane@uni.example.test" in preview.get_data(as_text=True)
    assert student_count() == 0

    done = upload(client, site, rows, "commit")
    assert done.status_code == 200
    assert 'data-created="2"' in done.get_data(as_text=True)
    assert student_count() == 2


def test_import_errors_listed_by_line(client, site):
    rows = [["Doe", "Jane", "jane@uni.example.test", "A1"],
            ["Roe", "", "rick@uni.example.test", "A2"]]  # fmt: skip

    response = upload(client, site, rows, "commit")
    page = response.get_data(as_text=True)

    assert response.status_code == 422
    assert 'data-line="3"' in page
    assert "This field is required." in page
    assert student_count() == 0


def test_crm_setup_queued(client, site):
    response = client.post("/intake/crm-setup", headers=session_headers(site))

    assert response.status_code == 200
    assert "queued" in response.get_data(as_text=True)
