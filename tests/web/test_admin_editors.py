"""Admin editors: routing rules, terms, partnerships; non-admins get 403."""

import pytest

from b24app.extensions import db
from b24app.program.models import Partnership, RoutingRule, Term

from .placement_support import headers, non_admin, university_of
from .support import XSS, install_portal, seed_mirror

RULE_FORM = {"name": "Python-студенты", "strategy": "fixed", "fixed_user_id": "3"}


def rules(portal_id):
    return (
        db.session.execute(
            db.select(RoutingRule)
            .where(RoutingRule.portal_id == portal_id)
            .order_by(RoutingRule.position)
        )
        .scalars()
        .all()
    )


def test_create_rule(client, mirror):
    form = {**RULE_FORM, "skills_any": "Python, SQL", "score_min": "0.5", "active": "1"}

    response = client.post("/b24/app/rules", data=form, headers=headers(mirror))

    created = rules(mirror.portal.id)[-1]
    assert response.status_code == 200
    assert created.name == "Python-студенты"
    assert created.fixed_user_id == 3
    assert created.conditions["score_min"] == 0.5
    assert "python" in created.conditions["skills_any"]
    assert f'data-rule="{created.id}"' in response.text


@pytest.mark.parametrize(
    "changes",
    [
        {"name": ""},
        {"strategy": "random"},
        {"fixed_user_id": ""},
        {"strategy": "round_robin", "user_pool": ""},
        {"score_min": "2"},
        {"university_ids": "999999"},
        {"user_pool": "a,b"},
    ],
)
def test_create_rule_invalid_input(client, mirror, changes):
    response = client.post(
        "/b24/app/rules", data={**RULE_FORM, **changes}, headers=headers(mirror)
    )

    assert response.status_code == 422
    assert "data-error" in response.text
    assert len(rules(mirror.portal.id)) == 1


def test_edit_rule_form_prefilled(client, mirror):
    response = client.get(
        f"/b24/app/rules/{mirror.rule.id}/edit", headers=headers(mirror)
    )

    assert response.status_code == 200
    assert f'data-rule-form="{mirror.rule.id}"' in response.text
    assert 'value="Вузы-партнёры"' in response.text


def test_update_rule_conditions_and_pool(client, mirror):
    university = university_of(mirror)
    form = {
        "name": "Круговой",
        "strategy": "round_robin",
        "user_pool": "4, 5",
        "university_ids": str(university.id),
        "active": "1",
    }

    response = client.post(
        f"/b24/app/rules/{mirror.rule.id}", data=form, headers=headers(mirror)
    )

    db.session.refresh(mirror.rule)
    assert response.status_code == 200
    assert mirror.rule.strategy == "round_robin"
    assert mirror.rule.user_pool == [4, 5]
    assert mirror.rule.conditions == {"university_ids": [university.id]}


def test_reorder_rules(client, mirror):
    client.post("/b24/app/rules", data=RULE_FORM, headers=headers(mirror))
    second = rules(mirror.portal.id)[-1]

    response = client.post(
        f"/b24/app/rules/{second.id}/move",
        data={"direction": "up"},
        headers=headers(mirror),
    )

    assert response.status_code == 200
    assert [rule.id for rule in rules(mirror.portal.id)] == [second.id, mirror.rule.id]


def test_rule_shows_routed_count(client, mirror):
    mirror.rule.routed_count = 17
    db.session.commit()

    response = client.get("/b24/app/section/rules", headers=headers(mirror))

    assert 'data-routed="17"' in response.text


def test_delete_rule(client, mirror):
    response = client.post(
        f"/b24/app/rules/{mirror.rule.id}/delete", headers=headers(mirror)
    )

    assert response.status_code == 200
    assert rules(mirror.portal.id) == []


def test_rule_name_xss_escaped(client, mirror):
    mirror.rule.name = XSS
    db.session.commit()

    response = client.get("/b24/app/section/rules", headers=headers(mirror))

    assert XSS not in response.text


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/b24/app/rules", RULE_FORM),
        ("get", "/b24/app/rules/{rule}/edit", None),
        ("post", "/b24/app/rules/{rule}", RULE_FORM),
        ("post", "/b24/app/rules/{rule}/active", {"active": "0"}),
        ("post", "/b24/app/rules/{rule}/move", {"direction": "up"}),
        ("post", "/b24/app/rules/{rule}/delete", None),
        ("post", "/b24/app/terms", {"name": "Лето"}),
        ("get", "/b24/app/terms/1/edit", None),
        ("post", "/b24/app/terms/1", {"name": "Лето"}),
        ("post", "/b24/app/terms/1/delete", None),
        ("post", "/b24/app/partnerships", {"university_id": "1"}),
        ("post", "/b24/app/partnerships/1", {"university_id": "1"}),
        ("post", "/b24/app/partnerships/1/delete", None),
        ("get", "/b24/app/settings/sync", None),
        ("post", "/b24/app/settings/sync/full", None),
        ("post", "/b24/app/settings/crm-setup", None),
        ("post", "/b24/app/settings/keys", {"label": "x"}),
        ("post", "/b24/app/settings/keys/1/revoke", None),
    ],
)
def test_admin_endpoints_forbidden_for_non_admin(client, mirror, method, path, data):
    url = path.format(rule=mirror.rule.id)

    response = getattr(client, method)(url, data=data, headers=non_admin(mirror))

    db.session.refresh(mirror.rule)
    assert response.status_code == 403
    assert mirror.rule.name == "Вузы-партнёры"
    assert len(rules(mirror.portal.id)) == 1


@pytest.mark.parametrize(
    "path",
    ["/b24/app/rules/{id}", "/b24/app/rules/{id}/delete", "/b24/app/rules/{id}/move"],
)
def test_other_portals_rule_not_found(client, portal_server, mirror, path):
    other = seed_mirror(portal_server, install_portal(portal_server, "7" * 32))

    response = client.post(
        path.format(id=other.rule.id), data=RULE_FORM, headers=headers(mirror)
    )

    db.session.refresh(other.rule)
    assert response.status_code == 404
    assert other.rule.name == "Вузы-партнёры"


def test_create_update_delete_term(client, mirror):
    form = {
        "name": "Лето 2027",
        "starts_on": "2027-06-01",
        "ends_on": "2027-08-31",
        "applications_open_at": "2027-03-01T09:00",
        "max_active_applications": "3",
        "placed_at_stage": "offer",
        "freeze_placed": "1",
    }

    created = client.post("/b24/app/terms", data=form, headers=headers(mirror))
    term = db.session.execute(db.select(Term)).scalar_one()
    updated = client.post(
        f"/b24/app/terms/{term.id}",
        data={**form, "name": "Лето 2028"},
        headers=headers(mirror),
    )
    db.session.refresh(term)
    name_after_update = term.name
    deleted = client.post(f"/b24/app/terms/{term.id}/delete", headers=headers(mirror))

    assert created.status_code == 200
    assert term.max_active_applications == 3
    assert term.applications_open_at.tzinfo is not None
    assert updated.status_code == 200
    assert name_after_update == "Лето 2028"
    assert deleted.status_code == 200
    assert db.session.execute(db.select(Term)).first() is None


@pytest.mark.parametrize(
    "changes",
    [
        {"name": ""},
        {"starts_on": "2027-09-01", "ends_on": "2027-06-01"},
        {"starts_on": "01.06.2027"},
        {"max_active_applications": "-1"},
        {"placed_at_stage": "new"},
    ],
)
def test_term_invalid_input(client, mirror, changes):
    response = client.post(
        "/b24/app/terms", data={"name": "Лето", **changes}, headers=headers(mirror)
    )

    assert response.status_code == 422
    assert db.session.execute(db.select(Term)).first() is None


def test_create_and_edit_partnership(client, mirror):
    university = university_of(mirror)
    form = {
        "university_id": str(university.id),
        "employer_id": str(mirror.internship.employer_id),
        "seats_total": "10",
        "agreement_number": "Д-1",
        "status": "active",
    }

    created = client.post("/b24/app/partnerships", data=form, headers=headers(mirror))
    partnership = db.session.execute(
        db.select(Partnership).where(Partnership.agreement_number == "Д-1")
    ).scalar_one()
    edit = client.get(
        f"/b24/app/partnerships/{partnership.id}/edit", headers=headers(mirror)
    )
    updated = client.post(
        f"/b24/app/partnerships/{partnership.id}",
        data={**form, "seats_total": "12"},
        headers=headers(mirror),
    )
    db.session.refresh(partnership)

    assert created.status_code == 200
    assert edit.status_code == 200
    assert 'value="Д-1"' in edit.text
    assert updated.status_code == 200
    assert partnership.seats_total == 12


@pytest.mark.parametrize(
    "changes",
    [{"university_id": ""}, {"employer_id": "999999"}, {"seats_total": "many"}],
)
def test_partnership_invalid_input(client, mirror, changes):
    university = university_of(mirror)
    form = {
        "university_id": str(university.id),
        "employer_id": str(mirror.internship.employer_id),
        "seats_total": "10",
        **changes,
    }

    response = client.post("/b24/app/partnerships", data=form, headers=headers(mirror))

    count = db.session.execute(db.select(db.func.count(Partnership.id))).scalar_one()
    assert response.status_code == 422
    assert count == 1


def test_other_portals_partnership_not_found(client, portal_server, mirror):
    other = seed_mirror(portal_server, install_portal(portal_server, "8" * 32))
    partnership_id = db.session.execute(
        db.select(Partnership.id).where(Partnership.portal_id == other.portal.id)
    ).scalar_one()

    response = client.post(
        f"/b24/app/partnerships/{partnership_id}/delete", headers=headers(mirror)
    )

    assert response.status_code == 404
    assert db.session.get(Partnership, partnership_id) is not None
