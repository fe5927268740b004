"""Hostile frame POSTs and session requests against the card tabs and app pages."""

import pytest
from web.support import install_portal, reset_emulator, seed_mirror

from b24app.web.session import FrameSession, issue_session_token


@pytest.fixture
def mirror(app, shared_emulator):
    reset_emulator(shared_emulator)
    app.config["B24_PORTAL_DOMAINS"] = shared_emulator.domain
    portal = install_portal(shared_emulator)
    return seed_mirror(shared_emulator, portal)


def admin_headers(mirror) -> dict[str, str]:
    token = issue_session_token(FrameSession(mirror.portal.id, 1, True, "ru"))
    return {"X-B24App-Session": token}


def test_frame_nul_member_id_not_500(app, client):
    response = client.post("/b24/placement/deal", data={"member_id": "a\x00b"})

    assert response.status_code < 500


UNICODE_DIGIT_REQUESTS = [
    ("GET", "/b24/app/students", {"page": "²"}),
    ("GET", "/b24/app/section/students", {"university_id": "²"}),
    ("GET", "/b24/placement/internships/{internship}/applicants", {"page": "²"}),
    (
        "GET",
        "/b24/placement/internships/{internship}/applicants",
        {"university_id": "²"},
    ),
    ("GET", "/b24/placement/universities/{university}/students", {"page": "²"}),
    ("POST", "/b24/placement/contact/{student}/apply", {"internship_id": "²"}),
    ("POST", "/b24/app/rules", {"name": "r", "fixed_user_id": "²"}),
    ("POST", "/b24/app/rules", {"name": "r", "user_pool": "²"}),
    ("POST", "/b24/app/terms", {"name": "t", "max_active_applications": "²"}),
    ("POST", "/b24/app/settings/keys", {"label": "k", "university_id": "²"}),
]


@pytest.mark.parametrize(("method", "path", "values"), UNICODE_DIGIT_REQUESTS)
def test_unicode_digit_parameter_not_500(app, client, mirror, method, path, values):
    url = path.format(
        internship=mirror.internship.id,
        university=mirror.student.university_id,
        student=mirror.student.id,
    )
    headers = admin_headers(mirror)

    if method == "GET":
        response = client.get(url, query_string=values, headers=headers)
    else:
        response = client.post(url, data=values, headers=headers)

    assert response.status_code < 500


NUL_REQUESTS = [
    ("GET", "/b24/app/students", {"q": "a\x00b"}),
    ("GET", "/analytics/applications", {"stage": "a\x00b"}),
    ("POST", "/intake/keys", {"label": "a\x00b"}),
    ("POST", "/b24/app/terms", {"name": "a\x00b"}),
]


@pytest.mark.parametrize(("method", "path", "values"), NUL_REQUESTS)
def test_nul_parameter_not_500(app, client, mirror, method, path, values):
    headers = admin_headers(mirror)

    if method == "GET":
        response = client.get(path, query_string=values, headers=headers)
    else:
        response = client.post(path, data=values, headers=headers)

    assert response.status_code < 500


def test_nested_placement_options_rejected(app, client):
    options = "[" * 1100 + "]" * 1100

    response = client.post(
        "/b24/placement/deal", data={"member_id": "x", "PLACEMENT_OPTIONS": options}
    )

    assert response.status_code == 400
