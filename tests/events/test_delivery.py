"""Events delivered by emulated portals over HTTP, Redis outages and the sweeper."""

import datetime as dt
import socket
import time

from portals.support import event_body, install, make_portal
from redis import Redis
from sqlalchemy import select

from b24app.emulator.state import Actor
from b24app.events.cli import events_command
from b24app.events.models import EventInbox, InboxStatus
from b24app.events.sweeper import sweep_inbox
from b24app.extensions import db
from b24app.tenancy.scoping import scoped

AUTH = {
    "domain": "portal.example.bitrix24.ru",
    "client_endpoint": "https://portal.example.bitrix24.ru/rest/",
    "server_endpoint": "https://oauth.bitrix.info/rest/",
    "member_id": "0123456789abcdef0123456789abcdef",
    "application_token": "fedcba9876543210fedcba9876543210",
}
DEAL = [("[FIELDS][ID]", "1")]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rows_of(portal_id: int) -> list[EventInbox]:
    db.session.expire_all()
    return list(db.session.scalars(scoped(EventInbox, portal_id)))


def test_emulator_crm_edit_arrives_in_inbox(app, live_server, portal_server):
    portal = install(app, live_server, portal_server)

    deal_id = portal_server.state.crm_add("deal", {"TITLE": "Deal A"}, Actor(1))
    portal_server.state.crm_update(
        "deal", deal_id, {"TITLE": "Deal B"}, Actor(1, robot=True)
    )
    assert portal_server.state.events.wait_idle(10)

    rows = rows_of(portal.id)
    assert [(r.event, r.entity_id) for r in rows] == [
        ("ONCRMDEALADD", str(deal_id)),
        ("ONCRMDEALUPDATE", str(deal_id)),
    ]
    assert "user_id" not in rows[1].payload["auth"]


def test_two_portals_never_share_data(app, live_server, portal_server, second_server):
    first = install(app, live_server, portal_server)
    second = install(app, live_server, second_server)

    portal_server.state.crm_add("contact", {"NAME": "Ada"}, Actor(1))
    second_server.state.crm_add("company", {"TITLE": "Firm"}, Actor(1))
    assert portal_server.state.events.wait_idle(10)
    assert second_server.state.events.wait_idle(10)

    assert first.id != second.id
    assert [r.event for r in rows_of(first.id)] == ["ONCRMCONTACTADD"]
    assert [r.event for r in rows_of(second.id)] == ["ONCRMCOMPANYADD"]
    events_url = live_server.url + "/b24/events"
    assert all(
        b["handler"] == events_url for b in second_server.state.snapshot()["events"]
    )


def test_event_with_other_portals_token_rejected(
    app, live_server, portal_server, second_server
):
    first = install(app, live_server, portal_server)
    install(app, live_server, second_server)
    auth = {
        "member_id": portal_server.state.member_id,
        "application_token": second_server.state.application_token,
        "domain": portal_server.domain,
    }

    client = app.test_client()
    response = client.post(
        "/b24/events",
        data=event_body("ONCRMDEALADD", auth, DEAL),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 403
    assert rows_of(first.id) == []


def test_redis_down_keeps_event_pending_then_sweeper_enqueues(app, client):
    portal = make_portal()
    jobs = app.extensions["b24app.jobs"]
    working = jobs.redis
    jobs.redis = Redis.from_url(f"redis://127.0.0.1:{closed_port()}/0")
    try:
        started = time.monotonic()
        response = client.post(
            "/b24/events",
            data=event_body("ONCRMDEALADD", AUTH, DEAL),
            content_type="application/x-www-form-urlencoded",
        )
        elapsed = time.monotonic() - started
    finally:
        jobs.redis = working

    assert response.status_code == 200
    assert elapsed < 5
    [row] = rows_of(portal.id)
    assert row.status == InboxStatus.PENDING

    enqueued = sweep_inbox(min_age=dt.timedelta(0))

    assert enqueued == 1
    [row] = rows_of(portal.id)
    assert row.status == InboxStatus.QUEUED
    assert working.llen("rq:queue:events") == 1


def test_sweeper_leaves_fresh_pending_rows(app, client):
    portal = make_portal()
    jobs = app.extensions["b24app.jobs"]
    working = jobs.redis
    jobs.redis = Redis.from_url(f"redis://127.0.0.1:{closed_port()}/0")
    try:
        client.post(
            "/b24/events",
            data=event_body("ONCRMDEALADD", AUTH, DEAL),
            content_type="application/x-www-form-urlencoded",
        )
    finally:
        jobs.redis = working

    assert sweep_inbox() == 0
    [row] = rows_of(portal.id)
    assert row.status == InboxStatus.PENDING


def test_sweep_command_reports_count(app, runner):
    result = runner.invoke(events_command, ["sweep", "--min-age", "0"])

    assert result.exit_code == 0, result.output
    assert "0 inbox rows enqueued" in result.output
    assert db.session.scalars(select(EventInbox)).all() == []
