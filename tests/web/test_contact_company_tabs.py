"""Contact tab recommendations and consent; company tab lists and fragments."""

import pytest

from b24app.extensions import db
from b24app.program.models import Employer, Internship, University
from b24app.tenancy.models import utcnow

from .placement_support import add_students, headers, university_of
from .support import XSS, add_open_internship, frame_post, install_portal, seed_mirror


def open_tab(client, server, entity, record_id, lang="ru"):
    placement = f"CRM_{entity.upper()}_DETAIL_TAB"
    return frame_post(
        client,
        server,
        f"/b24/placement/{entity}",
        placement,
        {"ID": str(record_id)},
        lang=lang,
    )


def test_contact_tab_recommends_with_scores(client, portal_server, mirror):
    internship = add_open_internship(mirror, "Аналитик данных")

    response = open_tab(client, portal_server, "contact", mirror.contact_id)

    assert response.status_code == 200
    assert f'data-recommendation="{internship.id}"' in response.text
    # The student has python of python: skills 0.6, course 0.2, programme 0.2.
    assert 'data-score="1.0"' in response.text
    assert f'data-apply="{internship.id}"' in response.text


def test_contact_tab_marks_applied_internship(client, portal_server, mirror):
    response = open_tab(client, portal_server, "contact", mirror.contact_id)

    assert f'data-recommendation="{mirror.internship.id}"' in response.text
    assert f'data-apply="{mirror.internship.id}"' not in response.text


@pytest.mark.parametrize(("given", "state"), [(True, "given"), (False, "missing")])
def test_contact_tab_consent_status(client, portal_server, mirror, given, state):
    mirror.student.consent_at = utcnow() if given else None
    db.session.commit()

    response = open_tab(client, portal_server, "contact", mirror.contact_id)

    assert f'data-consent="{state}"' in response.text


def test_recommendation_title_xss_escaped(client, portal_server, mirror):
    add_open_internship(mirror, XSS)

    response = open_tab(client, portal_server, "contact", mirror.contact_id)

    assert XSS not in response.text


def test_university_tab_lists_students_and_partnerships(client, portal_server, mirror):
    response = open_tab(client, portal_server, "company", mirror.university_company_id)

    assert 'data-organization="university"' in response.text
    assert f'data-student="{mirror.student.id}"' in response.text
    assert 'data-partnership="' in response.text
    assert 'data-analytics="university"' in response.text
    assert "js/analytics.js" in response.text
    assert "vendor/chart-" in response.text


def test_university_students_paged(client, mirror):
    add_students(mirror, 25)
    university = university_of(mirror)

    first = client.get(
        f"/b24/placement/universities/{university.id}/students",
        headers=headers(mirror),
    )
    second = client.get(
        f"/b24/placement/universities/{university.id}/students?page=2",
        headers=headers(mirror),
    )

    assert first.text.count("data-student=") == 20
    assert 'data-page-link="next"' in first.text
    assert second.text.count("data-student=") == 6
    assert 'data-page-link="next"' not in second.text


def test_employer_tab_shows_funnel_and_internships(client, portal_server, mirror):
    response = open_tab(client, portal_server, "company", mirror.employer_company_id)

    assert 'data-organization="employer"' in response.text
    assert 'data-funnel="screening"' in response.text
    assert f'data-internship="{mirror.internship.id}"' in response.text
    assert 'data-analytics="employer"' in response.text


@pytest.mark.parametrize(
    ("path", "model"),
    [
        ("/b24/placement/universities/{}/students", University),
        ("/b24/placement/employers/{}/internships", Employer),
    ],
)
def test_company_fragments_of_other_portal_not_found(
    client, portal_server, mirror, path, model
):
    other = install_portal(portal_server, member_id="5" * 32)
    other_mirror = seed_mirror(portal_server, other)
    row_id = db.session.execute(
        db.select(model.id).where(model.portal_id == other_mirror.portal.id)
    ).scalar_one()

    response = client.get(path.format(row_id), headers=headers(mirror))

    assert response.status_code == 404


def test_company_name_xss_escaped(client, portal_server, mirror):
    university = university_of(mirror)
    university.name = XSS
    db.session.commit()

    response = open_tab(client, portal_server, "company", mirror.university_company_id)

    assert XSS not in response.text
    assert "&lt;img" in response.text


def test_internships_paged_for_employer(client, mirror):
    for number in range(21):
        db.session.add(
            Internship(
                portal_id=mirror.portal.id,
                employer_id=mirror.internship.employer_id,
                title=f"Стажировка {number:02d}",
                status="open",
            )
        )
    db.session.commit()

    response = client.get(
        f"/b24/placement/employers/{mirror.internship.employer_id}/internships?page=2",
        headers=headers(mirror),
    )

    assert response.status_code == 200
    assert response.text.count("data-internship=") == 2
