"""Control characters in the public page, and submissions that routing cannot take."""

import pytest
from sqlalchemy import select

from b24app.extensions import db
from b24app.public.models import Submission, SubmissionStatus
from b24app.public.submissions import route_submission
from b24app.tenancy.models import utcnow

from .conftest import submit, valid_fields


@pytest.fixture(autouse=True)
def generous_rate_limit(app):
    app.config["PUBLIC_FORM_RATE_LIMIT"] = "100 per minute"


def test_slug_with_nul_not_found(client, site):
    assert client.get(f"/p/{site.slug}%00/").status_code == 404


def test_city_with_nul_rejected(client, site):
    query = {"city": "Каз\x00ань", "lang": "en"}

    response = client.get(site.index_url(), query_string=query)

    assert response.status_code == 422
    assert "control character" in response.text


def test_email_with_nul_rejected(client, site):
    fields = valid_fields(site, 5, email="a\x00b@mail.example.test")

    response = submit(client, site, fields)

    assert response.status_code == 422
    assert db.session.execute(select(Submission)).first() is None


def test_programme_control_characters_become_spaces(client, site):
    response = submit(client, site, valid_fields(site, 6, programme="Data\x00Science"))

    assert response.status_code == 303
    row = db.session.execute(select(Submission)).scalar_one()
    assert row.payload["programme"] == "Data Science"


def test_unroutable_submission_marked_failed(site):
    fields = {
        "email": "student7@mail.example.test",
        "first_name": "Анна",
        "last_name": "Тестова",
        "university_id": site.university.id,
        "student_number": "ST-00007",
        "course": 3,
        "programme": "stored\x00before the fix",
        "skills": [],
    }
    row = Submission(
        portal_id=site.portal_id,
        internship_id=site.internship.id,
        email=fields["email"],
        payload=fields,
        consent_text="consent",
        consent_at=utcnow(),
    )
    db.session.add(row)
    db.session.commit()

    route_submission(row.id)

    db.session.expire_all()
    stored = db.session.get(Submission, row.id)
    assert stored.status == SubmissionStatus.FAILED
    assert stored.reason_code == "routing_failed"
    assert "NUL" in stored.message
    assert stored.route_attempts == 1


def test_failed_submission_page_shows_notice(client, site):
    response = submit(client, site, valid_fields(site, 8))
    row = db.session.execute(select(Submission)).scalar_one()
    row.status = SubmissionStatus.FAILED
    row.message = "ValueError: internal detail"
    db.session.commit()

    page = client.get(response.headers["Location"])

    assert "Не удалось обработать вашу заявку" in page.text
    assert "internal detail" not in page.text
