"""Hostile values in frame POSTs and session requests: clear 400 and 422 pages."""

import pytest

from .placement_support import headers


def test_nul_in_search_is_invalid_parameter(client, mirror):
    response = client.get(
        "/b24/app/students", query_string={"q": "a\x00b"}, headers=headers(mirror)
    )

    assert response.status_code == 400
    assert 'data-message="invalid_parameter"' in response.text
    assert "q contains a control character" in response.text


def test_nul_in_analytics_stage_rejected(client, mirror):
    response = client.get(
        "/analytics/applications",
        query_string={"stage": "a\x00b"},
        headers=headers(mirror),
    )

    assert response.status_code == 400


def test_unicode_digit_in_analytics_filter_rejected(client, mirror):
    response = client.get(
        "/analytics/dashboard.json",
        query_string={"university_id": "²"},
        headers=headers(mirror),
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "values"),
    [
        ("/b24/app/rules", {"name": "r", "fixed_user_id": "²"}),
        ("/b24/app/rules", {"name": "r", "user_pool": "1, ²"}),
        ("/b24/app/terms", {"name": "t", "max_active_applications": "٣"}),
        ("/b24/app/settings/keys", {"label": "k", "university_id": "²"}),
        ("/intake/keys", {"label": "k", "university_id": "²"}),
    ],
)
def test_unicode_digit_in_admin_form_is_422(client, mirror, path, values):
    response = client.post(path, data=values, headers=headers(mirror))

    assert response.status_code == 422


def test_unicode_digit_internship_id_rejected(client, mirror):
    response = client.post(
        f"/b24/placement/contact/{mirror.student.id}/apply",
        data={"internship_id": "²"},
        headers=headers(mirror),
    )

    assert response.status_code == 400
    assert "internship_id" in response.text


def test_frame_long_member_id_rejected(client):
    response = client.post("/b24/placement/deal", data={"member_id": "a" * 65})

    assert response.status_code == 400
    assert 'data-message="bad_request"' in response.text


def test_frame_nested_options_show_bad_request(client):
    options = "[" * 1100 + "]" * 1100

    response = client.post(
        "/b24/placement/deal", data={"member_id": "x", "PLACEMENT_OPTIONS": options}
    )

    assert 'data-message="bad_request"' in response.text
