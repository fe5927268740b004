"""Event intake: documented shapes are stored, forged deliveries store nothing.

The payload shapes follow the Bitrix24 REST docs: the event envelope and auth
keys (api-reference/events/index.md, _includes/auth-params-in-events.md), CRM
events (api-reference/crm/deals|contacts|companies/events/), and the deal
pipeline move (on-crm-deal-move-to-category.md).
"""

import logging

import pytest
from portals.support import event_body, make_portal
from sqlalchemy import func, select

from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db

MEMBER_ID = "0123456789abcdef0123456789abcdef"
APP_TOKEN = "fedcba9876543210fedcba9876543210"
FORM = "application/x-www-form-urlencoded"

SYSTEM_AUTH = {
    "domain": "portal.example.bitrix24.ru",
    "client_endpoint": "https://portal.example.bitrix24.ru/rest/",
    "server_endpoint": "https://oauth.bitrix.info/rest/",
    "member_id": MEMBER_ID,
    "application_token": APP_TOKEN,
}
USER_AUTH = {
    "access_token": "AT_EXAMPLE_0001",
    "expires": "1767229200",
    "expires_in": "3600",
    "scope": "crm,placement,user_brief",
    **SYSTEM_AUTH,
    "status": "L",
    "user_id": "1",
}

DOCUMENTED_EVENTS = [
    ("ONCRMDEALUPDATE", USER_AUTH, [("[FIELDS][ID]", "1001")], "deal", "1001"),
    ("ONCRMDEALUPDATE", SYSTEM_AUTH, [("[FIELDS][ID]", "1002")], "deal", "1002"),
    ("ONCRMDEALADD", USER_AUTH, [("[FIELDS][ID]", "1003")], "deal", "1003"),
    ("ONCRMDEALDELETE", USER_AUTH, [("[FIELDS][ID]", "1004")], "deal", "1004"),
    (
        "ONCRMDEALMOVETOCATEGORY",
        USER_AUTH,
        [
            ("[FIELDS][ID]", "1005"),
            ("[FIELDS][CATEGORY_ID]", "1"),
            ("[FIELDS][STAGE_ID]", "C1:NEW"),
        ],
        "deal",
        "1005",
    ),
    ("ONCRMCONTACTADD", USER_AUTH, [("[FIELDS][ID]", "51")], "contact", "51"),
    ("ONCRMCONTACTUPDATE", SYSTEM_AUTH, [("[FIELDS][ID]", "52")], "contact", "52"),
    ("ONCRMCONTACTDELETE", USER_AUTH, [("[FIELDS][ID]", "53")], "contact", "53"),
    ("ONCRMCOMPANYADD", USER_AUTH, [("[FIELDS][ID]", "7")], "company", "7"),
    ("ONCRMCOMPANYUPDATE", USER_AUTH, [("[FIELDS][ID]", "8")], "company", "8"),
    ("ONCRMCOMPANYDELETE", SYSTEM_AUTH, [("[FIELDS][ID]", "9")], "company", "9"),
]


def post_event(client, body: str | bytes, content_type: str = FORM):
    return client.post("/b24/events", data=body, content_type=content_type)


def inbox_rows() -> list[EventInbox]:
    db.session.expire_all()
    return list(db.session.scalars(select(EventInbox).order_by(EventInbox.id)))


@pytest.mark.parametrize(
    ("event", "auth", "data", "entity_type", "entity_id"), DOCUMENTED_EVENTS
)
def test_documented_event_stored(
    app, client, event, auth, data, entity_type, entity_id
):
    portal = make_portal()

    response = post_event(client, event_body(event, auth, data, event_handler_id="42"))

    assert response.status_code == 200
    [row] = inbox_rows()
    assert row.portal_id == portal.id
    assert row.event == event
    assert row.entity_type == entity_type
    assert row.entity_id == entity_id
    assert row.ts == 1767225600
    assert row.handler_id == "42"
    assert row.status == InboxStatus.QUEUED
    assert "access_token" not in row.payload["auth"]
    assert "application_token" not in row.payload["auth"]
    assert row.payload["auth"]["member_id"] == MEMBER_ID


def test_move_to_category_keeps_stage(app, client):
    make_portal()
    data = [
        ("[FIELDS][ID]", "1005"),
        ("[FIELDS][CATEGORY_ID]", "1"),
        ("[FIELDS][STAGE_ID]", "C1:NEW"),
    ]

    post_event(client, event_body("ONCRMDEALMOVETOCATEGORY", USER_AUTH, data))

    [row] = inbox_rows()
    assert row.payload["data"]["FIELDS"] == {
        "ID": "1005",
        "CATEGORY_ID": "1",
        "STAGE_ID": "C1:NEW",
    }


def test_queued_job_names_portal_and_row(app, client):
    portal = make_portal()
    post_event(client, event_body("ONCRMDEALADD", USER_AUTH, [("[FIELDS][ID]", "1")]))

    [job] = app.extensions["b24app.jobs"].queue("events").get_jobs()

    [row] = inbox_rows()
    assert job.args == (
        "b24app.events.processing.process_inbox",
        (portal.id, [row.id]),
        {},
        portal.id,
    )
    assert job.id == row.job_id


def test_event_name_in_any_case(app, client):
    make_portal()

    response = post_event(
        client, event_body("onCrmDealAdd", USER_AUTH, [("[FIELDS][ID]", "5")])
    )

    assert response.status_code == 200
    assert [row.event for row in inbox_rows()] == ["ONCRMDEALADD"]


def test_unknown_event_ignored(app, client):
    make_portal()

    response = post_event(
        client, event_body("ONTASKADD", USER_AUTH, [("[FIELDS][ID]", "5")])
    )

    assert response.status_code == 200
    assert response.json["status"] == "ignored"
    assert inbox_rows() == []


def test_duplicate_delivery_stored_once(app, client):
    make_portal()
    body = event_body(
        "ONCRMDEALUPDATE", USER_AUTH, [("[FIELDS][ID]", "1")], event_handler_id="3"
    )

    first = post_event(client, body)
    second = post_event(client, body)

    assert first.json["status"] == "accepted"
    assert second.json["status"] == "duplicate"
    assert len(inbox_rows()) == 1


def test_same_entity_other_time_stored_again(app, client):
    make_portal()
    data = [("[FIELDS][ID]", "1")]

    post_event(client, event_body("ONCRMDEALUPDATE", USER_AUTH, data, ts="1767225600"))
    post_event(client, event_body("ONCRMDEALUPDATE", USER_AUTH, data, ts="1767225601"))

    assert len(inbox_rows()) == 2


WRONG_TOKEN_AUTH = {**USER_AUTH, "application_token": "0" * 32}
UNKNOWN_PORTAL_AUTH = {**USER_AUTH, "member_id": "f" * 32}
NO_TOKEN_AUTH = {k: v for k, v in USER_AUTH.items() if k != "application_token"}
NO_MEMBER_AUTH = {k: v for k, v in USER_AUTH.items() if k != "member_id"}
DEAL = [("[FIELDS][ID]", "1")]

FORGED = [
    (
        "wrong token",
        event_body("ONCRMDEALADD", WRONG_TOKEN_AUTH, DEAL),
        FORM,
        403,
        "application_token_mismatch",
    ),
    (
        "unknown portal",
        event_body("ONCRMDEALADD", UNKNOWN_PORTAL_AUTH, DEAL),
        FORM,
        403,
        "unknown_portal",
    ),
    (
        "no token",
        event_body("ONCRMDEALADD", NO_TOKEN_AUTH, DEAL),
        FORM,
        400,
        "missing_application_token",
    ),
    (
        "no member",
        event_body("ONCRMDEALADD", NO_MEMBER_AUTH, DEAL),
        FORM,
        400,
        "missing_member_id",
    ),
    ("no event", "auth%5Bmember_id%5D=" + MEMBER_ID, FORM, 400, "missing_event"),
    ("no auth", "event=ONCRMDEALADD&auth=x", FORM, 400, "missing_auth"),
    (
        "bad percent utf-8",
        "event=ONCRMDEALADD&data%5BFIELDS%5D%5BID%5D=%FF%FE",
        FORM,
        400,
        "malformed_body",
    ),
    (
        "raw non-ascii",
        "event=ONCRMDEALADD&x=\u00e9".encode(),
        FORM,
        400,
        "malformed_body",
    ),
    (
        "unbalanced bracket",
        "event=ONCRMDEALADD&auth%5Bmember_id=1",
        FORM,
        400,
        "malformed_body",
    ),
    ("field without =", "event=ONCRMDEALADD&garbage", FORM, 400, "malformed_body"),
    (
        "json body",
        '{"event": "ONCRMDEALADD"}',
        "application/json",
        415,
        "unsupported_content_type",
    ),
    ("empty body", "", FORM, 400, "missing_event"),
]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "reason"),
    [case[1:] for case in FORGED],
    ids=[case[0] for case in FORGED],
)
def test_forged_event_rejected(app, client, caplog, body, content_type, status, reason):
    make_portal()
    caplog.set_level(logging.INFO, logger="b24app.security")

    response = post_event(client, body, content_type)

    assert response.status_code == status
    assert inbox_rows() == []
    lines = [r.getMessage() for r in caplog.records if r.name == "b24app.security"]
    assert len(lines) == 1
    assert f"reason={reason}" in lines[0]
    assert APP_TOKEN not in caplog.text
    assert "0" * 32 not in caplog.text


def test_wrong_token_log_names_portal(app, client, caplog):
    portal = make_portal()
    caplog.set_level(logging.INFO, logger="b24app.security")

    post_event(client, event_body("ONCRMDEALADD", WRONG_TOKEN_AUTH, DEAL))

    assert f"portal={portal.id} reason=application_token_mismatch" in caplog.text


def test_oversized_event_rejected(app, client):
    make_portal()
    app.config["EVENT_MAX_BODY_BYTES"] = 1024
    padding = [("[FIELDS][TITLE]", "x" * 2000)]

    response = post_event(client, event_body("ONCRMDEALADD", USER_AUTH, DEAL + padding))

    assert response.status_code == 413
    assert inbox_rows() == []


def test_rejected_event_enqueues_nothing(app, client):
    make_portal()

    post_event(client, event_body("ONCRMDEALADD", WRONG_TOKEN_AUTH, DEAL))

    redis = app.extensions["b24app.jobs"].redis
    assert redis.llen("rq:queue:events") == 0


def test_accepted_event_enqueued_on_events_queue(app, client):
    make_portal()

    post_event(client, event_body("ONCRMDEALADD", USER_AUTH, DEAL))

    redis = app.extensions["b24app.jobs"].redis
    assert redis.llen("rq:queue:events") == 1
    assert db.session.scalar(select(func.count()).select_from(EventInbox)) == 1
