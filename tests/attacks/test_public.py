"""Hostile visitors of the public application page."""

import pytest
from intake.conftest import PublicSite, submit, valid_fields
from sqlalchemy import select

from b24app.extensions import db
from b24app.public.models import Submission
from b24app.public.submissions import route_submission


@pytest.fixture
def site(app) -> PublicSite:
    app.config["PUBLIC_FORM_RATE_LIMIT"] = "100 per minute"
    return PublicSite()


def test_nul_in_slug_not_500(client, site):
    assert client.get("/p/a%00b/").status_code < 500


def test_nul_in_city_search_not_500(client, site):
    assert client.get(f"/p/{site.slug}/?city=a%00b").status_code < 500


def test_nul_in_email_not_500(client, site):
    fields = valid_fields(site, 3, email="a\x00b@mail.example.test")

    response = submit(client, site, fields)

    assert response.status_code < 500


def test_accepted_nul_programme_gets_routed(client, site):
    response = submit(client, site, valid_fields(site, 4, programme="a\x00b"))
    assert response.status_code == 303
    row = db.session.execute(select(Submission)).scalar_one()

    route_submission(row.id)

    db.session.expire_all()
    assert db.session.get(Submission, row.id).status == "routed"
