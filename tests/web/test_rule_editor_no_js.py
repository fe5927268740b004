"""Rule editor controls work as plain form posts, without JavaScript."""

from b24app.extensions import db
from b24app.program.models import RoutingRule
from b24app.program.services import rules as rule_service

from .support import user_session


def form_post(client, mirror, path, user_id=1, admin=True, **fields):
    token = user_session(mirror.portal.id, mirror.server, user_id, admin)
    return client.post(path, data={"_session": token, **fields})


def test_toggle_without_js_returns_page(client, mirror):
    response = form_post(
        client, mirror, f"/b24/app/rules/{mirror.rule.id}/active", active="0"
    )

    db.session.refresh(mirror.rule)
    assert response.status_code == 200
    assert "<html" in response.text
    assert 'data-section="rules"' in response.text
    assert mirror.rule.active is False


def test_edit_without_js_opens_form(client, mirror):
    response = form_post(client, mirror, f"/b24/app/rules/{mirror.rule.id}/edit")

    assert response.status_code == 200
    assert "<html" in response.text
    assert f'data-rule-form="{mirror.rule.id}"' in response.text


def test_move_without_js_reorders(client, mirror):
    second = rule_service.create_rule(
        mirror.portal.id, "Второе правило", fixed_user_id=2
    )

    form_post(client, mirror, f"/b24/app/rules/{second.id}/move", direction="up")

    order = [rule.id for rule in rule_service.list_rules(mirror.portal.id)]
    assert order == [second.id, mirror.rule.id]


def test_delete_without_js_removes_rule(client, mirror):
    rule_id = mirror.rule.id

    response = form_post(client, mirror, f"/b24/app/rules/{rule_id}/delete")

    assert response.status_code == 200
    assert db.session.get(RoutingRule, rule_id) is None


def test_invalid_rule_without_js_keeps_page(client, mirror):
    response = form_post(client, mirror, "/b24/app/rules", name="")

    assert response.status_code == 422
    assert "<html" in response.text


def test_non_admin_post_without_js_forbidden(client, mirror):
    response = form_post(
        client,
        mirror,
        f"/b24/app/rules/{mirror.rule.id}/active",
        user_id=2,
        admin=False,
        active="0",
    )

    db.session.refresh(mirror.rule)
    assert response.status_code == 403
    assert mirror.rule.active is True


def test_rule_controls_are_forms(client, mirror):
    response = form_post(client, mirror, f"/b24/app/rules/{mirror.rule.id}/edit")

    start = response.text.index('id="rules"')
    table = response.text[start : response.text.index("</table>", start)]
    assert 'type="button"' not in table
    assert table.count('method="post"') == 4
