"""App page: sections, searchable lists, paging with and without JavaScript."""

import pytest

from b24app.extensions import db
from b24app.program.models import Employer

from .placement_support import add_students, headers, non_admin, university_of
from .support import XSS, frame_post, install_portal, seed_mirror

ADMIN_SECTIONS = ("terms", "partnerships", "settings")
LISTS = ("universities", "employers", "students", "internships", "applications")


def open_app(client, server, user_id=1, lang="ru"):
    return frame_post(client, server, "/b24/app", "DEFAULT", user_id=user_id, lang=lang)


def test_admin_sees_every_section(client, portal_server, mirror):
    response = open_app(client, portal_server)

    for name in (*LISTS, "rules", *ADMIN_SECTIONS):
        assert f'data-section-link="{name}"' in response.text


def test_non_admin_sees_no_admin_sections(client, portal_server, mirror):
    response = open_app(client, portal_server, user_id=2)

    for name in ADMIN_SECTIONS:
        assert f'data-section-link="{name}"' not in response.text
    assert 'data-section-link="rules"' in response.text


@pytest.mark.parametrize("section", [*LISTS, "rules", *ADMIN_SECTIONS])
def test_section_renders_for_admin(client, mirror, section):
    response = client.get(f"/b24/app/section/{section}", headers=headers(mirror))

    assert response.status_code == 200
    assert f'data-section="{section}"' in response.text
    assert "<html" not in response.text


@pytest.mark.parametrize("section", ADMIN_SECTIONS)
def test_admin_section_forbidden_for_non_admin(client, mirror, section):
    response = client.get(f"/b24/app/section/{section}", headers=non_admin(mirror))

    assert response.status_code == 403


def test_unknown_section_not_found(client, mirror):
    response = client.get("/b24/app/section/secrets", headers=headers(mirror))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("section", "marker"),
    [
        ("universities", "data-university="),
        ("employers", "data-employer="),
        ("students", "data-student="),
        ("internships", "data-internship="),
        ("applications", "data-application="),
    ],
)
def test_list_shows_rows(client, mirror, section, marker):
    response = client.get(f"/b24/app/{section}", headers=headers(mirror))

    assert response.status_code == 200
    assert response.text.count(marker) == 1


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("q=Анна", 1),
        ("q=нет-такого", 0),
        ("q=%25", 1),
        ("stage=screening", 1),
        ("stage=hired", 0),
        ("employer_id=999999", 0),
        ("university_id=x", 1),
    ],
)
def test_applications_list_filters(client, mirror, query, count):
    response = client.get(f"/b24/app/applications?{query}", headers=headers(mirror))

    assert response.status_code == 200
    assert response.text.count("data-application=") == count


def test_student_search_pages(client, mirror):
    add_students(mirror, 30, last_name="Поиск")

    first = client.get("/b24/app/students?q=Поиск", headers=headers(mirror))
    second = client.get("/b24/app/students?q=Поиск&page=2", headers=headers(mirror))

    assert first.text.count("data-student=") == 20
    assert second.text.count("data-student=") == 10
    assert 'name="q" value="Поиск"' in second.text


def test_list_without_javascript_returns_page(client, mirror):
    add_students(mirror, 30, last_name="Поиск")
    token = headers(mirror)["X-B24App-Session"]

    response = client.post(
        "/b24/app/students", data={"_session": token, "q": "Поиск", "page": "2"}
    )

    assert response.status_code == 200
    assert "<html" in response.text
    assert 'data-section="students"' in response.text
    assert response.text.count("data-student=") == 10


def test_section_without_javascript_returns_page(client, mirror):
    token = headers(mirror)["X-B24App-Session"]

    response = client.post("/b24/app/section/rules", data={"_session": token})

    assert response.status_code == 200
    assert "<html" in response.text
    assert f'data-rule="{mirror.rule.id}"' in response.text


def test_list_needs_session(client, mirror):
    response = client.get("/b24/app/universities", headers={"HX-Request": "true"})

    assert response.status_code == 401


def test_list_hides_other_portals_rows(client, portal_server, mirror):
    other = seed_mirror(portal_server, install_portal(portal_server, "6" * 32))

    response = client.get("/b24/app/employers", headers=headers(mirror))

    other_employer = db.session.execute(
        db.select(Employer.id).where(Employer.portal_id == other.portal.id)
    ).scalar_one()
    assert f'data-employer="{other_employer}"' not in response.text
    assert response.text.count("data-employer=") == 1


def test_list_escapes_names(client, mirror):
    university = university_of(mirror)
    university.name = XSS
    db.session.commit()

    response = client.get("/b24/app/universities", headers=headers(mirror))

    assert XSS not in response.text
    assert "&lt;img src=x" in response.text


@pytest.mark.parametrize("page", ["0", "-3", "abc", "99999999"])
def test_list_bad_page_is_first_page(client, mirror, page):
    response = client.get(f"/b24/app/students?page={page}", headers=headers(mirror))

    assert response.status_code == 200
    assert 'data-page="' not in response.text or 'data-page="1"' in response.text
