"""Install over real HTTP against the emulator: verify, store, bind, finish."""

import logging

import requests
from sqlalchemy import text

from b24app.extensions import db
from b24app.portals.manifest import current_manifest
from b24app.portals.steps import register_install_step, unregister_install_step
from b24app.tenancy.models import PortalState
from portals.support import (
    install,
    install_url,
    load_portal,
    post_install,
)


def bound_events(server) -> dict[str, set[str]]:
    handlers: dict[str, set[str]] = {}
    for item in server.state.snapshot()["events"]:
        handlers.setdefault(item["event"], set()).add(item["handler"])
    return handlers


def bound_placements(server) -> dict[str, set[str]]:
    handlers: dict[str, set[str]] = {}
    for item in server.state.snapshot()["placements"]:
        handlers.setdefault(item["placement"], set()).add(item["handler"])
    return handlers


def test_install_binds_manifest_and_finishes(app, live_server, portal_server):
    response = post_install(live_server, portal_server)

    assert response.status_code == 200, response.text
    assert "BX24.installFinish()" in response.text
    assert f'src="{app.config["B24_BX24_JS_URL"]}"' in response.text
    csp = response.headers["Content-Security-Policy"]
    assert csp == f"frame-ancestors {portal_server.base_url}"

    manifest = current_manifest()
    events_url = live_server.url + "/b24/events"
    assert bound_events(portal_server) == {e: {events_url} for e in manifest.events}
    placements = bound_placements(portal_server)
    assert set(placements) == {spec.placement for spec in manifest.placements}
    assert placements["CRM_DEAL_DETAIL_TAB"] == {
        live_server.url + "/b24/placement/deal"
    }
    titles = {
        p["placement"]: p["lang_all"]
        for p in portal_server.state.snapshot()["placements"]
    }
    assert titles["CRM_DEAL_DETAIL_TAB"]["ru"]["TITLE"] == "Стажировка"

    portal = load_portal(portal_server.state.member_id)
    assert portal.domain == portal_server.domain
    assert portal.client_endpoint == portal_server.client_endpoint
    assert portal.state == PortalState.ACTIVE
    assert portal.installed_at is not None
    assert portal.access_token_encrypted


def test_install_then_onappinstall_stores_application_token(
    app, live_server, portal_server
):
    portal = install(app, live_server, portal_server)

    assert portal.application_token_digest is not None
    deliveries = portal_server.state.snapshot()["deliveries"]
    assert [d["status"] for d in deliveries if d["event"] == "ONAPPINSTALL"] == [200]


def test_reinstall_is_idempotent(app, live_server, portal_server):
    install(app, live_server, portal_server)
    before_events = bound_events(portal_server)
    before_placements = bound_placements(portal_server)

    response = post_install(live_server, portal_server)

    assert response.status_code == 200, response.text
    assert "BX24.installFinish()" in response.text
    assert bound_events(portal_server) == before_events
    assert bound_placements(portal_server) == before_placements
    count = db.session.execute(text("SELECT count(*) FROM portal")).scalar()
    assert count == 1


def test_reinstall_removes_binding_of_old_app_url(app, live_server, portal_server):
    install(app, live_server, portal_server)
    old_url = "http://old-app.example.test/b24/events"
    portal_server.state.events.bind("ONCRMDEALADD", old_url, 0, False)

    response = post_install(live_server, portal_server)

    assert response.status_code == 200, response.text
    assert bound_events(portal_server)["ONCRMDEALADD"] == {
        live_server.url + "/b24/events"
    }


def test_attacker_oauth_server_refused_without_request(
    app, live_server, portal_server, attacker
):
    portal = install(app, live_server, portal_server)
    version, domain = portal.token_version, portal.domain

    response = post_install(
        live_server,
        portal_server,
        DOMAIN=attacker.domain,
        SERVER_ENDPOINT=attacker.url + "/rest/",
    )

    assert response.status_code == 403
    assert "BX24.installFinish" not in response.text
    assert attacker.hits == []
    portal = load_portal(portal_server.state.member_id)
    assert portal.domain == domain
    assert portal.token_version == version


def test_attacker_domain_refused_without_request(
    app, live_server, portal_server, attacker
):
    portal = install(app, live_server, portal_server)
    version = portal.token_version

    response = post_install(live_server, portal_server, DOMAIN=attacker.domain)

    assert response.status_code == 403
    assert attacker.hits == []
    portal = load_portal(portal_server.state.member_id)
    assert portal.domain == portal_server.domain
    assert portal.client_endpoint == portal_server.client_endpoint
    assert portal.token_version == version


def test_install_with_forged_token_stores_nothing(app, live_server, portal_server):
    response = post_install(live_server, portal_server, AUTH_ID="forged-token")

    assert response.status_code == 403
    assert load_portal(portal_server.state.member_id) is None
    assert portal_server.state.snapshot()["events"] == []


def test_install_of_other_app_rejected(app, live_server, portal_server):
    app.config["B24_CLIENT_ID"] = "local.0000000000000f.00000009"

    response = post_install(live_server, portal_server, lang="en")

    assert response.status_code == 403
    assert "belongs to another application" in response.text
    assert load_portal(portal_server.state.member_id) is None


def test_install_message_in_portal_language(app, live_server, portal_server):
    russian = post_install(live_server, portal_server, AUTH_ID="x", lang="ru")
    english = post_install(live_server, portal_server, AUTH_ID="x", lang="en")

    assert "Битрикс24 не подтвердил токен установки" in russian.text
    assert "Bitrix24 did not confirm the installation token" in english.text


def test_install_get_without_frame_rejected(live_server, portal_server):
    response = requests.get(install_url(live_server), params={"LANG": "en"}, timeout=10)

    assert response.status_code == 400
    assert "Open the application from the Bitrix24" in response.text


def test_failed_install_step_stops_install(app, live_server, portal_server):
    def failing_step(portal, client):
        raise RuntimeError("pipeline setup failed")

    register_install_step("test.failing", failing_step)
    try:
        response = post_install(live_server, portal_server, lang="en")
    finally:
        unregister_install_step("test.failing")

    assert response.status_code == 502
    assert "BX24.installFinish" not in response.text
    assert "test.failing" in response.text
    assert load_portal(portal_server.state.member_id).installed_at is None


def test_install_steps_get_portal_and_client(app, live_server, portal_server):
    seen = []

    def recording_step(portal, client):
        seen.append((portal.member_id, client.call("app.info").result["client_id"]))

    register_install_step("test.recording", recording_step)
    try:
        response = post_install(live_server, portal_server)
    finally:
        unregister_install_step("test.recording")

    assert response.status_code == 200, response.text
    assert seen == [(portal_server.state.member_id, app.config["B24_CLIENT_ID"])]


def test_tokens_unreadable_in_database(app, live_server, portal_server):
    query, body = portal_server.frame_fields()
    requests.post(install_url(live_server), params=query, data=body, timeout=30)
    install(app, live_server, portal_server)
    secrets = [
        body["AUTH_ID"],
        body["REFRESH_ID"],
        portal_server.state.application_token,
    ]
    secrets += [t for t in portal_server.state.tokens.access]
    secrets += [t for t in portal_server.state.tokens.refresh]

    rows = db.session.execute(text("SELECT * FROM portal")).all()
    dump = repr(rows)

    assert rows
    for secret in secrets:
        assert secret not in dump


def test_tokens_absent_from_logs(app, live_server, portal_server, caplog):
    caplog.set_level(logging.DEBUG)

    install(app, live_server, portal_server)
    portal_server.state.crm_add("deal", {"TITLE": "Deal A"}, _user())
    assert portal_server.state.events.wait_idle(10)
    secrets = [portal_server.state.application_token]
    secrets += list(portal_server.state.tokens.access)
    secrets += list(portal_server.state.tokens.refresh)
    portal_server.state.uninstall_app(clean=False)
    assert portal_server.state.events.wait_idle(10)

    assert len(secrets) > 3
    assert "installed" in caplog.text
    for secret in secrets:
        assert secret not in caplog.text


def _user():
    from b24app.emulator.state import Actor

    return Actor(user_id=1)
