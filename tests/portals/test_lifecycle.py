"""ONAPPUPDATE and ONAPPUNINSTALL delivered by the emulator, and forged ones."""

from sqlalchemy import select

from b24app.emulator.state import Actor
from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db
from b24app.jobs import enqueue
from b24app.tenancy.models import PortalState
from portals.support import event_body, install, load_portal, run_jobs


def uninstall_body(server, token: str, clean: str) -> str:
    auth = {
        "domain": server.domain,
        "server_endpoint": server.server_endpoint,
        "client_endpoint": server.client_endpoint,
        "member_id": server.state.member_id,
        "application_token": token,
    }
    return event_body(
        "ONAPPUNINSTALL", auth, [("[LANGUAGE_ID]", "ru"), ("[CLEAN]", clean)]
    )


def post(app, body: str):
    return app.test_client().post(
        "/b24/events", data=body, content_type="application/x-www-form-urlencoded"
    )


def inbox_count() -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(EventInbox)).all())


def add_deal(server) -> None:
    server.state.crm_add("deal", {"TITLE": "Deal"}, Actor(1))
    assert server.state.events.wait_idle(10)


def test_uninstall_keeps_data_without_clean(app, live_server, portal_server):
    portal = install(app, live_server, portal_server)
    add_deal(portal_server)

    portal_server.state.uninstall_app(clean=False)
    assert portal_server.state.events.wait_idle(10)

    portal = load_portal(portal_server.state.member_id)
    assert portal.state == PortalState.UNINSTALLED
    assert portal.uninstalled_at is not None
    assert portal.access_token_encrypted is None
    assert portal.refresh_token_encrypted is None
    assert inbox_count() == 1


def test_uninstall_with_clean_deletes_data(app, live_server, portal_server):
    install(app, live_server, portal_server)
    add_deal(portal_server)

    portal_server.state.uninstall_app(clean=True)
    assert portal_server.state.events.wait_idle(10)

    assert load_portal(portal_server.state.member_id).state == PortalState.UNINSTALLED
    assert inbox_count() == 0


def test_uninstall_cancels_queued_jobs(app, live_server, portal_server):
    portal = install(app, live_server, portal_server)
    job_id = enqueue(
        "b24app.portals.install.setup_portal", portal.id, portal_id=portal.id
    )

    response = post(
        app, uninstall_body(portal_server, portal_server.state.application_token, "0")
    )

    assert response.status_code == 200
    job = app.extensions["b24app.jobs"].queue("default").fetch_job(job_id)
    assert job.get_status() == "canceled"


def test_forged_uninstall_changes_nothing(app, live_server, portal_server):
    install(app, live_server, portal_server)
    add_deal(portal_server)

    response = post(app, uninstall_body(portal_server, "0" * 32, "1"))

    assert response.status_code == 403
    portal = load_portal(portal_server.state.member_id)
    assert portal.state == PortalState.ACTIVE
    assert portal.access_token_encrypted is not None
    assert inbox_count() == 1


def test_unknown_portal_uninstall_rejected(app, live_server, portal_server):
    install(app, live_server, portal_server)
    body = uninstall_body(portal_server, portal_server.state.application_token, "1")
    body = body.replace(portal_server.state.member_id, "e" * 32)

    response = post(app, body)

    assert response.status_code == 403
    assert load_portal(portal_server.state.member_id).state == PortalState.ACTIVE


def test_events_after_uninstall_rejected(app, live_server, portal_server):
    install(app, live_server, portal_server)
    token = portal_server.state.application_token
    post(app, uninstall_body(portal_server, token, "0"))
    auth = {"member_id": portal_server.state.member_id, "application_token": token}

    response = post(app, event_body("ONCRMDEALADD", auth, [("[FIELDS][ID]", "1")]))

    assert response.status_code == 403
    assert inbox_count() == 0


def test_update_stores_version_and_rebinds(app, live_server, portal_server):
    install(app, live_server, portal_server)
    portal_server.state.events.unbind("ONCRMDEALADD", "", None, False)

    portal_server.state.update_app(2)
    assert portal_server.state.events.wait_idle(10)
    run_jobs(app)

    portal = load_portal(portal_server.state.member_id)
    assert portal.app_version == "1"  # setup_portal records the manifest version
    bound = {b["event"] for b in portal_server.state.snapshot()["events"]}
    assert "ONCRMDEALADD" in bound


def test_update_new_token_confirmed_by_oauth(app, live_server, portal_server):
    install(app, live_server, portal_server)
    original = portal_server.state.config["APPLICATION_TOKEN"]
    portal_server.state.config["APPLICATION_TOKEN"] = "abcdef0123456789abcdef0123456789"
    try:
        portal_server.state.update_app(2)
        assert portal_server.state.events.wait_idle(10)
        add_deal(portal_server)
    finally:
        portal_server.state.config["APPLICATION_TOKEN"] = original

    deliveries = portal_server.state.snapshot()["deliveries"]
    assert [d["status"] for d in deliveries if d["event"] == "ONAPPUPDATE"] == [200]
    db.session.expire_all()
    assert db.session.scalars(select(EventInbox.status)).all() == [InboxStatus.QUEUED]
