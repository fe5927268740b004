"""Hostile event deliveries: forged lifecycle events, odd values in correctly
signed events, oversized chunked bodies, and CRM records that block the inbox.

A correctly signed event must never fail with 500, because the app would then
lose it.
"""

from urllib.parse import urlencode

import pytest
import requests
from portals.support import event_body, install, load_portal, make_portal, run_jobs
from sqlalchemy import func, select
from web.support import seed_mirror

from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db
from b24app.program.models import Internship
from b24app.tenancy.models import PortalState

MEMBER_ID = "0123456789abcdef0123456789abcdef"
APP_TOKEN = "fedcba9876543210fedcba9876543210"
AUTH = {"member_id": MEMBER_ID, "application_token": APP_TOKEN}
FORM = "application/x-www-form-urlencoded"
NON_ADMIN_USER_ID = 2


def post_event(client, body: str):
    return client.post("/b24/events", data=body, content_type=FORM)


def post_form(live_server, body: str) -> requests.Response:
    headers = {"Content-Type": FORM}
    url = live_server.url + "/b24/events"
    return requests.post(url, data=body, headers=headers, timeout=30)


def internship_count(portal_id: int) -> int:
    db.session.expire_all()
    statement = select(func.count(Internship.id)).where(
        Internship.portal_id == portal_id
    )
    return db.session.execute(statement).scalar_one()


def inbox_count() -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count(EventInbox.id))).scalar_one()


def test_event_ts_past_2038_stored(app, client):
    make_portal()
    body = event_body("ONCRMDEALUPDATE", AUTH, [("[FIELDS][ID]", "1")], ts="2147483648")

    response = post_event(client, body)

    assert response.status_code == 200
    assert inbox_count() == 1


def test_event_ts_unicode_digit_stored(app, client):
    make_portal()
    body = event_body("ONCRMDEALUPDATE", AUTH, [("[FIELDS][ID]", "1")], ts="²")

    response = post_event(client, body)

    assert response.status_code == 200
    assert inbox_count() == 1


def test_event_with_nul_byte_not_500(app, client):
    make_portal()
    data = [("[FIELDS][ID]", "1\x00")]
    body = event_body("ONCRMDEALUPDATE", AUTH, data)

    response = post_event(client, body)

    assert response.status_code < 500


def test_update_with_list_data_not_500(app, client):
    make_portal()
    body = event_body("ONAPPUPDATE", AUTH, [("[]", "x")])

    response = post_event(client, body)

    assert response.status_code < 500


@pytest.mark.parametrize("expires_in", ["9" * 30, "²"])
def test_update_with_odd_expires_in_not_500(app, client, expires_in):
    make_portal()
    auth = {
        **AUTH,
        "access_token": "AT_EXAMPLE_0001",
        "refresh_token": "RT_EXAMPLE_0001",
        "expires_in": expires_in,
    }
    body = event_body("ONAPPUPDATE", auth, [("[VERSION]", "2")])

    response = post_event(client, body)

    assert response.status_code < 500


def forged_install_body(server, user_token: str, application_token: str) -> str:
    auth = {
        "access_token": user_token,
        "refresh_token": "any-refresh-token",
        "expires_in": "3600",
        "domain": server.domain,
        "server_endpoint": server.server_endpoint,
        "member_id": server.state.member_id,
        "application_token": application_token,
    }
    return event_body("ONAPPINSTALL", auth, [("[VERSION]", "1")])


def test_non_admin_cannot_rekey_and_clean(app, live_server, portal_server):
    portal = install(app, live_server, portal_server)
    seed_mirror(portal_server, portal, title="Kept internship")
    _, frame = portal_server.frame_fields(user_id=NON_ADMIN_USER_ID)
    attacker_token = "attacker-chosen-application-token"

    post_form(
        live_server,
        forged_install_body(portal_server, frame["AUTH_ID"], attacker_token),
    )
    uninstall = event_body(
        "ONAPPUNINSTALL",
        {
            "member_id": portal_server.state.member_id,
            "application_token": attacker_token,
        },
        [("[CLEAN]", "1")],
    )
    post_form(live_server, uninstall)

    portal = load_portal(portal_server.state.member_id)
    assert portal.state == PortalState.ACTIVE
    assert internship_count(portal.id) == 1


def test_update_with_list_token_rejected(app, client):
    make_portal()
    auth = {**AUTH, "refresh_token": "RT_EXAMPLE_0001"}
    body = event_body("ONAPPUPDATE", auth, [("[VERSION]", "2")])
    body += "&" + urlencode([("auth[access_token][]", "x")])

    response = post_event(client, body)

    assert response.status_code == 400
    assert response.get_json()["error"] == "malformed_auth"


def test_non_admin_update_keeps_tokens(app, live_server, portal_server):
    portal = install(app, live_server, portal_server)
    before = (portal.access_token_encrypted, portal.refresh_token_encrypted)
    _, frame = portal_server.frame_fields(user_id=NON_ADMIN_USER_ID)
    auth = {
        "access_token": frame["AUTH_ID"],
        "refresh_token": "not-a-refresh-token",
        "expires_in": "3600",
        "member_id": portal_server.state.member_id,
        "application_token": portal_server.state.application_token,
    }

    response = post_form(
        live_server, event_body("ONAPPUPDATE", auth, [("[VERSION]", "2")])
    )

    assert response.status_code == 200
    portal = load_portal(portal_server.state.member_id)
    assert portal.access_token_encrypted == before[0]
    assert portal.refresh_token_encrypted == before[1]


def post_crm_event(
    live_server, server, event: str, entity_id: int | str, ts: int
) -> None:
    auth = {
        "member_id": server.state.member_id,
        "application_token": server.state.application_token,
        "domain": server.domain,
    }
    body = event_body(event, auth, [("[FIELDS][ID]", str(entity_id))], ts=str(ts))
    response = post_form(live_server, body)
    assert response.status_code == 200, response.text


def test_nul_contact_does_not_block_inbox(app, live_server, portal_server):
    install(app, live_server, portal_server)
    run_jobs(app)
    with portal_server.state.lock:
        crm = portal_server.state.crm
        contact_id = crm.add("contact", {"NAME": "Anna", "LAST_NAME": "a\x00b"}, 1)
        deal_id = crm.add("deal", {"TITLE": "Ordinary deal"}, 1)

    post_crm_event(live_server, portal_server, "ONCRMCONTACTUPDATE", contact_id, 1)
    post_crm_event(live_server, portal_server, "ONCRMDEALUPDATE", deal_id, 2)
    run_jobs(app)

    db.session.expire_all()
    deal_row = db.session.execute(
        select(EventInbox).where(EventInbox.event == "ONCRMDEALUPDATE")
    ).scalar_one()
    assert deal_row.status == InboxStatus.DONE


def test_unicode_digit_id_does_not_block_inbox(app, live_server, portal_server):
    install(app, live_server, portal_server)
    run_jobs(app)
    with portal_server.state.lock:
        deal_id = portal_server.state.crm.add("deal", {"TITLE": "Ordinary deal"}, 1)

    post_crm_event(live_server, portal_server, "ONCRMCOMPANYUPDATE", "²", 1)
    post_crm_event(live_server, portal_server, "ONCRMDEALUPDATE", deal_id, 2)
    run_jobs(app)

    db.session.expire_all()
    deal_row = db.session.execute(
        select(EventInbox).where(EventInbox.event == "ONCRMDEALUPDATE")
    ).scalar_one()
    assert deal_row.status == InboxStatus.DONE


def test_chunked_oversized_event_rejected(app, live_server):
    make_portal()
    body = event_body("ONCRMDEALUPDATE", AUTH, [("[FIELDS][ID]", "5")])
    padded = (body + "&pad=" + "a" * (400 * 1024)).encode()
    chunks = (padded[start : start + 8192] for start in range(0, len(padded), 8192))

    response = requests.post(
        live_server.url + "/b24/events",
        data=chunks,
        headers={"Content-Type": FORM},
        timeout=30,
    )

    assert response.status_code == 413
    assert inbox_count() == 0
