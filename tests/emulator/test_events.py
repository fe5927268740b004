"""Event delivery to a loopback receiver, offline and lifecycle events, placements."""

from __future__ import annotations

import requests

from b24app.emulator.testing import EmulatorServer


def _bind(rest, event: str, handler: str) -> None:
    assert rest.result("event.bind", {"event": event, "handler": handler}) is True


def test_rest_change_sends_user_event(emulator: EmulatorServer, rest, receiver) -> None:
    _bind(rest, "ONCRMDEALADD", receiver.url)
    deal_id = rest.result("crm.deal.add", {"fields": {"TITLE": "x"}})
    delivered = receiver.wait_for(1)
    assert len(delivered) == 1
    assert delivered[0]["content_type"] == "application/x-www-form-urlencoded"
    fields = dict(delivered[0]["pairs"])
    assert fields["event"] == "ONCRMDEALADD"
    assert fields["data[FIELDS][ID]"] == str(deal_id)
    assert fields["auth[member_id]"] == emulator.state.member_id
    assert fields["auth[application_token]"] == emulator.state.application_token
    assert fields["auth[domain]"] == emulator.domain
    assert fields["auth[client_endpoint]"] == emulator.client_endpoint
    assert fields["auth[server_endpoint]"] == emulator.server_endpoint
    assert fields["auth[user_id]"] == "1"
    assert "auth[access_token]" in fields
    assert "auth[refresh_token]" not in fields
    assert fields["event_handler_id"].isdigit()
    assert fields["ts"].isdigit()


def test_robot_change_has_no_tokens(emulator: EmulatorServer, rest, receiver) -> None:
    _bind(rest, "ONCRMCONTACTUPDATE", receiver.url)
    contact_id = rest.result("crm.contact.add", {"fields": {"NAME": "A"}})
    requests.patch(
        f"{emulator.base_url}/_emulator/entities/contact/{contact_id}",
        json={"fields": {"NAME": "B"}, "robot": True},
        timeout=10,
    )
    fields = dict(receiver.wait_for(1)[0]["pairs"])
    assert fields["event"] == "ONCRMCONTACTUPDATE"
    auth_keys = {key for key in fields if key.startswith("auth[")}
    assert auth_keys == {
        "auth[domain]",
        "auth[client_endpoint]",
        "auth[server_endpoint]",
        "auth[member_id]",
        "auth[application_token]",
    }


def test_events_arrive_once_in_order(emulator: EmulatorServer, rest, receiver) -> None:
    for event in ("ONCRMCOMPANYADD", "ONCRMCOMPANYUPDATE", "ONCRMCOMPANYDELETE"):
        _bind(rest, event, receiver.url)
    company_id = rest.result("crm.company.add", {"fields": {"TITLE": "c"}})
    rest.result("crm.company.update", {"id": company_id, "fields": {"TITLE": "d"}})
    rest.result("crm.company.delete", {"id": company_id})
    assert emulator.state.events.wait_idle()
    events = [dict(item["pairs"])["event"] for item in receiver.wait_for(3)]
    assert events == ["ONCRMCOMPANYADD", "ONCRMCOMPANYUPDATE", "ONCRMCOMPANYDELETE"]


def test_duplicate_bind_is_rejected(rest, receiver) -> None:
    _bind(rest, "ONCRMDEALUPDATE", receiver.url)
    again = rest.call(
        "event.bind", {"event": "ONCRMDEALUPDATE", "handler": receiver.url}
    )
    assert again.status_code == 400
    assert "Handler already binded" in again.json()["error_description"]
    listed = rest.result("event.get")
    assert listed == [
        {
            "event": "ONCRMDEALUPDATE",
            "handler": receiver.url,
            "auth_type": "0",
            "offline": 0,
        }
    ]


def test_uninstall_event_has_clean_flag(
    emulator: EmulatorServer, rest, receiver
) -> None:
    _bind(rest, "ONAPPUNINSTALL", receiver.url)
    requests.post(
        f"{emulator.base_url}/_emulator/app/uninstall", json={"clean": 1}, timeout=10
    )
    fields = dict(receiver.wait_for(1)[0]["pairs"])
    assert fields["event"] == "ONAPPUNINSTALL"
    assert fields["data[CLEAN]"] == "1"
    assert "auth[access_token]" not in fields
    assert rest.call("user.current").json()["error"] == "invalid_token"


def test_install_callback_carries_refresh_token(receiver) -> None:
    with EmulatorServer({"INSTALL_URL": receiver.url}) as emulator:
        emulator.install_app()
        fields = dict(receiver.wait_for(1)[0]["pairs"])
    assert fields["event"] == "ONAPPINSTALL"
    assert fields["data[INSTALLED]"] == "Y"
    assert fields["auth[refresh_token]"]
    assert fields["auth[application_token]"] == emulator.state.application_token


def test_offline_events_get_and_clear(emulator: EmulatorServer, rest) -> None:
    rest.result("event.bind", {"event": "ONCRMDEALUPDATE", "event_type": "offline"})
    deal_id = rest.result("crm.deal.add", {"fields": {"TITLE": "o"}})
    for title in ("a", "b", "c"):
        rest.result("crm.deal.update", {"id": deal_id, "fields": {"TITLE": title}})
    reserved = rest.result("event.offline.get", {"clear": 0})
    assert reserved["process_id"]
    assert len(reserved["events"]) == 1
    row = reserved["events"][0]
    assert row["EVENT_NAME"] == "ONCRMDEALUPDATE"
    assert row["EVENT_DATA"] == {"FIELDS": {"ID": deal_id}}
    assert rest.result("event.offline.get", {"clear": 0})["events"] == []
    rest.result("event.offline.clear", {"process_id": reserved["process_id"]})
    assert rest.call("event.offline.list").json()["total"] == 0


def test_offline_get_with_clear_deletes(rest) -> None:
    rest.result("event.bind", {"event": "ONCRMCONTACTADD", "event_type": "offline"})
    rest.result("crm.contact.add", {"fields": {"NAME": "x"}})
    taken = rest.result("event.offline.get")
    assert taken["process_id"] is None
    assert len(taken["events"]) == 1
    assert rest.result("event.offline.get")["events"] == []


def test_placement_errors_are_http_200(emulator: EmulatorServer, rest) -> None:
    missing = rest.call("placement.bind", {"HANDLER": "http://127.0.0.1:9/p"})
    assert missing.status_code == 200
    assert missing.json()["error"] == "ERROR_ARGUMENT"
    assert (
        rest.result(
            "placement.bind",
            {
                "PLACEMENT": "crm_deal_detail_tab",
                "HANDLER": "http://127.0.0.1:9/p",
                "TITLE": "Стажировка",
            },
        )
        is True
    )
    listed = rest.result("placement.get")
    assert listed[0]["placement"] == "CRM_DEAL_DETAIL_TAB"
    assert emulator.state.snapshot()["placements"][0]["title"] == "Стажировка"
    assert rest.result("placement.unbind", {"PLACEMENT": "CRM_DEAL_DETAIL_TAB"}) == {
        "count": 1
    }


def test_pipeline_move_fires_move_event(
    emulator: EmulatorServer, rest, receiver
) -> None:
    _bind(rest, "ONCRMDEALMOVETOCATEGORY", receiver.url)
    _bind(rest, "ONCRMDEALUPDATE", receiver.url)
    category = rest.result(
        "crm.category.add", {"entityTypeId": 2, "fields": {"name": "P"}}
    )
    deal_id = rest.result("crm.deal.add", {"fields": {"TITLE": "m"}})
    rest.result(
        "crm.item.update",
        {
            "entityTypeId": 2,
            "id": deal_id,
            "fields": {"categoryId": category["category"]["id"]},
        },
    )
    fields = dict(receiver.wait_for(1)[0]["pairs"])
    assert fields["event"] == "ONCRMDEALMOVETOCATEGORY"
    assert fields["data[FIELDS][CATEGORY_ID]"] == str(category["category"]["id"])
    assert fields["data[FIELDS][STAGE_ID]"].endswith(":NEW")
    assert emulator.state.events.wait_idle()
    assert len(receiver.requests) == 1
