"""The public application page: listing, search, and the form's input checks."""

import html
import re

import pytest
from sqlalchemy import func, select

from b24app.extensions import db
from b24app.public.models import Submission

from .conftest import csrf_token, submit, valid_fields


def submission_count() -> int:
    return db.session.execute(select(func.count(Submission.id))).scalar_one()


def test_index_lists_open_internships(client, site):
    page = client.get(site.index_url()).get_data(as_text=True)

    assert "Python backend intern" in page
    assert "Data analyst intern" in page


def test_unknown_slug_is_404(client, site):
    assert client.get("/p/not-a-real-slug/").status_code == 404


def test_search_by_skill(client, site):
    page = client.get(site.index_url() + "?skill=SQL").get_data(as_text=True)

    assert "Python backend intern" in page
    assert "Data analyst intern" not in page


def test_search_by_city(client, site):
    page = client.get(site.index_url() + "?city=казань").get_data(as_text=True)

    assert "Python backend intern" in page
    assert "Data analyst intern" not in page


def test_htmx_search_returns_fragment(client, site):
    response = client.get(
        site.index_url() + "?skill=excel", headers={"HX-Request": "true"}
    )
    page = response.get_data(as_text=True)

    assert "<html" not in page
    assert "Data analyst intern" in page
    assert "Python backend intern" not in page
    assert "HX-Request" in response.headers["Vary"]


def test_valid_submission_is_stored(client, site):
    response = submit(client, site, valid_fields(site))
    row = db.session.execute(select(Submission)).scalar_one()

    assert response.status_code == 303
    assert row.status == "pending"
    assert row.payload["first_name"] == "Анна-Мария"
    assert row.payload["skills"] == ["Python", "SQL"]
    assert row.consent_at is not None
    assert "персональных данных" in row.consent_text


def test_confirmation_page_after_submit(client, site):
    response = submit(client, site, valid_fields(site), follow_redirects=True)

    assert response.status_code == 200
    assert "Спасибо" in response.get_data(as_text=True)


BAD_INPUT = [
    ("first_name", "", "Это поле обязательно"),
    ("last_name", "Smith2", "только буквы"),
    ("first_name", "Я" * 5000, "не больше 120 символов"),
    ("email", "not-an-email", "корректный адрес"),
    ("email", "a@b", "корректный адрес"),
    ("email", "x" * 300 + "@example.com", "не больше 254"),
    ("phone", "12345", "из 10–15 цифр"),
    ("phone", "+7 916 abc 00 00", "из 10–15 цифр"),
    ("course", "9", "от 1 до 6"),
    ("course", "three", "от 1 до 6"),
    ("student_number", "", "Это поле обязательно"),
    ("student_number", "<b>1</b>", "только буквы, цифры"),
    ("university", "999999", "Выберите вуз"),
    ("skills", "x" * 2000, "не больше 1000"),
    ("cover_note", "y" * 5000, "не больше 4000"),
    ("consent", "", "Без согласия"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_bad_input_is_rejected(client, site, field, value, message):
    fields = valid_fields(site, **{field: value})
    if field == "consent":
        del fields["consent"]

    response = submit(client, site, fields)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert submission_count() == 0


def test_errors_in_english(client, site):
    token = csrf_token(client, site.detail_url())
    fields = {**valid_fields(site, email="nope"), "csrf_token": token}

    response = client.post(site.apply_url() + "?lang=en", data=fields)

    assert response.status_code == 422
    assert "Enter a valid e-mail address" in response.get_data(as_text=True)


def test_accept_language_selects_english(client, site):
    page = client.get(site.detail_url(), headers={"Accept-Language": "en-US,en;q=0.8"})

    assert "Send application" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "phone", ["+7 916 000-00-01", "8 (916) 000 00 01", "9160000001", "+44 20 7946 0000"]
)
def test_phone_formats_accepted(client, site, phone):
    response = submit(client, site, valid_fields(site, phone=phone))

    assert response.status_code == 303


def test_script_tags_stored_as_text_and_escaped(client, site):
    note = "<script>alert('x')</script>"
    rejected = submit(client, site, valid_fields(site, cover_note=note, email="bad"))
    page = rejected.get_data(as_text=True)

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page

    submit(client, site, valid_fields(site, cover_note=note))
    row = db.session.execute(select(Submission)).scalar_one()
    assert row.payload["cover_note"] == note


def test_repeated_submission_reuses_row(client, site):
    first = submit(client, site, valid_fields(site))
    second = submit(client, site, valid_fields(site))

    assert first.status_code == 303
    assert second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert submission_count() == 1


def test_honeypot_stores_nothing(client, site):
    response = submit(client, site, valid_fields(site, website="http://spam.test"))

    assert response.status_code == 200
    assert submission_count() == 0


def test_missing_csrf_token_rejected(client, site):
    response = client.post(site.apply_url(), data=valid_fields(site))

    assert response.status_code == 422
    assert "Срок действия формы истёк" in response.get_data(as_text=True)
    assert submission_count() == 0


def test_rate_limit_per_address(app, client, site):
    app.config["PUBLIC_FORM_RATE_LIMIT"] = "2 per minute"
    codes = [
        submit(client, site, valid_fields(site, number=n)).status_code
        for n in range(1, 4)
    ]
    other_address = submit(
        client,
        site,
        valid_fields(site, number=9),
        environ_base={"REMOTE_ADDR": "127.0.0.9"},
    )

    assert codes == [303, 303, 429]
    assert other_address.status_code == 303
    assert submission_count() == 3


def test_closed_internship_is_404(client, site):
    site.internship.status = "closed"
    db.session.commit()

    assert client.get(site.detail_url()).status_code == 404


def test_rejected_form_keeps_skills_as_typed(client, site):
    fields = valid_fields(site, student_number="")
    first = submit(client, site, fields)
    page = first.get_data(as_text=True)
    typed_skills = re.search(r'name="skills"[^>]*value="([^"]*)"', page)

    fields = valid_fields(site, skills=html.unescape(typed_skills.group(1)))
    second = submit(client, site, fields)
    row = db.session.execute(select(Submission)).scalar_one()

    assert first.status_code == 422
    assert html.unescape(typed_skills.group(1)) == "Python, SQL"
    assert second.status_code == 303
    assert row.payload["skills"] == ["Python", "SQL"]
