"""Documented REST shapes: envelopes, lists, errors, item API, names and encodings."""

from __future__ import annotations

import re

import pytest
import requests

from b24app.emulator.testing import EmulatorServer

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
TIME_KEYS = {
    "start",
    "finish",
    "duration",
    "processing",
    "date_start",
    "date_finish",
    "operating",
    "operating_reset_at",
}


def test_add_returns_integer_and_time_block(rest) -> None:
    body = rest.call("crm.deal.add", {"fields": {"TITLE": "Pilot"}}).json()
    assert body["result"] == 1
    assert set(body["time"]) == TIME_KEYS
    assert ISO_WITH_OFFSET.match(body["time"]["date_start"])


def test_get_returns_strings_and_flags(rest) -> None:
    deal_id = rest.result(
        "crm.deal.add", {"fields": {"TITLE": "A", "OPPORTUNITY": 1500.5}}
    )
    deal = rest.result("crm.deal.get", {"id": deal_id})
    assert deal["ID"] == str(deal_id)
    assert deal["OPPORTUNITY"] == "1500.50"
    assert deal["CATEGORY_ID"] == "0"
    assert deal["OPENED"] == "Y"
    assert deal["LEAD_ID"] is None
    assert ISO_WITH_OFFSET.match(deal["DATE_MODIFY"])


def test_list_page_has_next_and_total(emulator: EmulatorServer, rest) -> None:
    for index in range(120):
        emulator.state.crm.add("deal", {"TITLE": f"D{index}"}, 1)
    first = rest.call("crm.deal.list", {"order": {"ID": "ASC"}}).json()
    assert len(first["result"]) == 50
    assert first["next"] == 50
    assert first["total"] == 120
    last = rest.call("crm.deal.list", {"order": {"ID": "ASC"}, "start": 100}).json()
    assert len(last["result"]) == 20
    assert "next" not in last
    assert last["total"] == 120


@pytest.mark.parametrize(
    ("order", "filters", "expected_ids"),
    [
        ({"ID": "ASC"}, {"TITLE": "Even"}, list(range(2, 241, 2))),
        ({"ID": "DESC"}, {"TITLE": "Even"}, list(range(240, 0, -2))),
        ({"ID": "DESC"}, {}, list(range(240, 0, -1))),
        ({}, {">ID": 100}, list(range(101, 241))),
    ],
)
def test_offset_pages_cover_matches_once(
    emulator: EmulatorServer, rest, order, filters, expected_ids
) -> None:
    for index in range(1, 241):
        title = "Even" if index % 2 == 0 else "Odd"
        emulator.state.crm.add("deal", {"TITLE": title}, 1)

    seen: list[int] = []
    start: int | None = 0
    while start is not None:
        params = {"order": order, "filter": filters, "start": start}
        body = rest.call("crm.deal.list", params).json()
        assert body["total"] == len(expected_ids)
        seen += [int(row["ID"]) for row in body["result"]]
        start = body.get("next")
        if start is not None:
            assert start == len(seen)

    assert seen == expected_ids


def test_start_minus_one_skips_count(emulator: EmulatorServer, rest) -> None:
    for index in range(60):
        emulator.state.crm.add("deal", {"TITLE": f"D{index}"}, 1)
    body = rest.call(
        "crm.deal.list", {"order": {"ID": "ASC"}, "filter": {">ID": 5}, "start": -1}
    ).json()
    assert body["total"] == 0
    assert "next" not in body
    assert body["result"][0]["ID"] == "6"
    assert len(body["result"]) == 50


def test_list_filters_and_select(emulator: EmulatorServer, rest) -> None:
    rest.result(
        "crm.deal.userfield.add",
        {"fields": {"FIELD_NAME": "PRIORITY", "USER_TYPE_ID": "string"}},
    )
    rest.result("crm.deal.add", {"fields": {"TITLE": "low", "UF_CRM_PRIORITY": "low"}})
    rest.result(
        "crm.deal.add", {"fields": {"TITLE": "high", "UF_CRM_PRIORITY": "high"}}
    )
    rows = rest.result(
        "crm.deal.list",
        {"filter": {"=UF_CRM_PRIORITY": "high"}, "select": ["ID", "TITLE", "UF_*"]},
    )
    assert rows == [{"ID": "2", "TITLE": "high", "UF_CRM_PRIORITY": "high"}]
    newest_first = rest.result(
        "crm.deal.list", {"order": {"ID": "DESC"}, "select": ["ID"]}
    )
    assert [row["ID"] for row in newest_first] == ["2", "1"]


def test_date_modify_filter_sees_updates(emulator: EmulatorServer, rest) -> None:
    first = rest.result("crm.deal.add", {"fields": {"TITLE": "old"}})
    rest.result("crm.deal.add", {"fields": {"TITLE": "other"}})
    row = emulator.state.crm.tables["deal"].rows[2]
    row["DATE_MODIFY"] = "2020-01-01T00:00:00+03:00"
    rows = rest.result(
        "crm.deal.list",
        {"filter": {">=DATE_MODIFY": "2021-01-01T00:00:00+03:00"}, "select": ["ID"]},
    )
    assert [item["ID"] for item in rows] == [str(first)]


def test_not_found_legacy_shape(rest) -> None:
    response = rest.call("crm.deal.get", {"id": 999})
    assert response.status_code == 400
    assert response.json() == {"error": "", "error_description": "Not found"}


def test_unknown_method_is_404(rest) -> None:
    response = rest.call("crm.nothing.here")
    assert response.status_code == 404
    assert response.json()["error"] == "ERROR_METHOD_NOT_FOUND"


def test_method_and_param_names_ignore_case(rest) -> None:
    deal_id = rest.result("crm.deal.Add", {"FIELDS": {"TITLE": "Mixed"}})
    deal = rest.result("CRM.DEAL.GET", {"Id": deal_id})
    assert deal["TITLE"] == "Mixed"


def test_form_encoded_php_brackets(emulator: EmulatorServer, auth) -> None:
    url = f"{emulator.client_endpoint}crm.contact.add.json"
    data = {
        "auth": auth["access_token"],
        "fields[NAME]": "Ива",
        "fields[PHONE][0][VALUE]": "+70001234567",
        "fields[PHONE][0][VALUE_TYPE]": "WORK",
    }
    contact_id = requests.post(url, data=data, timeout=10).json()["result"]
    contact = requests.get(
        f"{emulator.client_endpoint}crm.contact.get",
        params={"auth": auth["access_token"], "id": contact_id},
        timeout=10,
    ).json()["result"]
    assert contact["NAME"] == "Ива"
    assert contact["HAS_PHONE"] == "Y"
    assert contact["PHONE"][0]["VALUE"] == "+70001234567"
    assert contact["PHONE"][0]["TYPE_ID"] == "PHONE"


def test_multifield_update_rules(rest) -> None:
    contact_id = rest.result(
        "crm.contact.add",
        {
            "fields": {
                "NAME": "M",
                "EMAIL": [{"VALUE": "a@example.com"}, {"VALUE": "b@example.com"}],
            }
        },
    )
    emails = rest.result("crm.contact.get", {"id": contact_id})["EMAIL"]
    rest.result(
        "crm.contact.update",
        {
            "id": contact_id,
            "fields": {
                "EMAIL": [
                    {"ID": emails[0]["ID"], "VALUE": "c@example.com"},
                    {"ID": emails[1]["ID"], "DELETE": "Y"},
                    {"VALUE": "d@example.com"},
                ]
            },
        },
    )
    values = [
        item["VALUE"]
        for item in rest.result("crm.contact.get", {"id": contact_id})["EMAIL"]
    ]
    assert values == ["c@example.com", "d@example.com"]


def test_webhook_path(emulator: EmulatorServer) -> None:
    url = emulator.webhook_url(user_id=2)
    created = requests.post(
        f"{url}crm.company.add.json", json={"fields": {"TITLE": "Co"}}, timeout=10
    ).json()
    assert created["result"] == 1
    me = requests.get(f"{url}user.current", timeout=10).json()["result"]
    assert me["ID"] == "2"


def test_webhook_cannot_bind_events(emulator: EmulatorServer) -> None:
    url = emulator.webhook_url()
    response = requests.post(
        f"{url}event.bind",
        json={"event": "ONCRMDEALADD", "handler": "http://127.0.0.1:9/x"},
        timeout=10,
    )
    assert response.status_code == 403
    assert response.json()["error"] == "WRONG_AUTH_TYPE"


def test_item_api_shapes(rest) -> None:
    added = rest.result(
        "crm.item.add",
        {
            "entityTypeId": 2,
            "fields": {
                "title": "Item deal",
                "opportunity": 100,
                "stageId": "PREPARATION",
            },
        },
    )
    item = added["item"]
    assert item["id"] == 1
    assert item["title"] == "Item deal"
    assert item["opportunity"] == 100.0
    assert item["entityTypeId"] == 2
    body = rest.call(
        "crm.item.list",
        {"entityTypeId": 2, "filter": {">id": 0}, "order": {"id": "ASC"}},
    ).json()
    assert body["result"]["items"][0]["stageId"] == "PREPARATION"
    assert body["total"] == 1
    assert rest.result("crm.item.delete", {"entityTypeId": 2, "id": 1}) == []
    missing = rest.call("crm.item.get", {"entityTypeId": 2, "id": 1})
    assert missing.status_code == 400
    assert missing.json()["error"] == "NOT_FOUND"


def test_item_update_moves_pipeline(rest) -> None:
    category = rest.result(
        "crm.category.add", {"entityTypeId": 2, "fields": {"name": "Стажировки"}}
    )["category"]
    deal_id = rest.result("crm.deal.add", {"fields": {"TITLE": "x"}})
    rest.result(
        "crm.item.update",
        {"entityTypeId": 2, "id": deal_id, "fields": {"categoryId": category["id"]}},
    )
    deal = rest.result("crm.deal.get", {"id": deal_id})
    assert deal["CATEGORY_ID"] == str(category["id"])
    assert deal["STAGE_ID"] == f"C{category['id']}:NEW"
    stages = rest.result("crm.dealcategory.stage.list", {"id": category["id"]})
    assert stages[0]["STATUS_ID"] == f"C{category['id']}:NEW"


def test_status_reference_lists(rest) -> None:
    rows = rest.result("crm.status.list", {"filter": {"ENTITY_ID": "COMPANY_TYPE"}})
    assert "CUSTOMER" in {row["STATUS_ID"] for row in rows}
    categories = rest.call("crm.category.list", {"entityTypeId": 2}).json()
    assert categories["result"]["categories"][0]["id"] == 0


def test_deal_contact_links(rest) -> None:
    first = rest.result("crm.contact.add", {"fields": {"NAME": "A"}})
    second = rest.result("crm.contact.add", {"fields": {"NAME": "B"}})
    deal_id = rest.result(
        "crm.deal.add", {"fields": {"TITLE": "d", "CONTACT_IDS": [first]}}
    )
    rest.result(
        "crm.deal.contact.add",
        {"id": deal_id, "fields": {"CONTACT_ID": second, "IS_PRIMARY": "Y"}},
    )
    links = rest.result("crm.deal.contact.items.get", {"id": deal_id})
    assert {link["CONTACT_ID"] for link in links} == {first, second}
    assert rest.result("crm.deal.get", {"id": deal_id})["CONTACT_ID"] == str(second)
    rest.result(
        "crm.deal.contact.items.set", {"id": deal_id, "items": [{"CONTACT_ID": first}]}
    )
    assert (
        rest.result("crm.deal.contact.items.get", {"id": deal_id})[0]["IS_PRIMARY"]
        == "Y"
    )


def test_timeline_comment_add_and_list(emulator: EmulatorServer, rest) -> None:
    deal_id = rest.result("crm.deal.add", {"fields": {"TITLE": "t"}})
    comment_id = rest.result(
        "crm.timeline.comment.add",
        {
            "fields": {
                "ENTITY_ID": deal_id,
                "ENTITY_TYPE": "deal",
                "COMMENT": "Назначен студент",
            }
        },
    )
    rows = rest.result(
        "crm.timeline.comment.list",
        {"filter": {"ENTITY_ID": deal_id, "ENTITY_TYPE": "deal"}},
    )
    assert rows[0]["ID"] == str(comment_id)
    assert (
        emulator.state.snapshot()["timeline_comments"][0]["COMMENT"]
        == "Назначен студент"
    )


def test_timeline_comment_keeps_files(emulator: EmulatorServer, rest) -> None:
    company_id = rest.result("crm.company.add", {"fields": {"TITLE": "Вуз"}})
    comment_id = rest.result(
        "crm.timeline.comment.add",
        {
            "fields": {
                "ENTITY_ID": company_id,
                "ENTITY_TYPE": "company",
                "COMMENT": "Отчёт",
                "FILES": [["отчёт.pdf", "JVBERi0xLjQK"]],
            }
        },
    )

    comment = rest.result("crm.timeline.comment.get", {"id": comment_id})
    [attached] = comment["FILES"].values()
    assert attached["name"] == "отчёт.pdf"
    assert attached["size"] == len(b"%PDF-1.4\n")
    assert emulator.state.crm.timeline_files[attached["id"]] == b"%PDF-1.4\n"


def test_timeline_comment_rejects_bad_file(rest) -> None:
    company_id = rest.result("crm.company.add", {"fields": {"TITLE": "Вуз"}})

    response = rest.call(
        "crm.timeline.comment.add",
        {
            "fields": {
                "ENTITY_ID": company_id,
                "ENTITY_TYPE": "company",
                "COMMENT": "Отчёт",
                "FILES": [["отчёт.pdf", "not base64!"]],
            }
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "ERROR_ARGUMENT"


def test_empty_object_is_php_array(rest) -> None:
    response = rest.call("event.offline.list")
    assert response.json()["result"] == []


def test_user_get_has_inactive_users(rest) -> None:
    body = rest.call("user.get", {"filter": {"ACTIVE": False}}).json()
    assert body["total"] == 2
    assert all(user["ACTIVE"] is False for user in body["result"])


def test_webhook_without_crm_scope(emulator: EmulatorServer) -> None:
    url = emulator.webhook_url(scope="user_brief")
    response = requests.get(f"{url}crm.deal.list", timeout=10)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"


def test_free_plan_denies_rest() -> None:
    with EmulatorServer({"PLAN": "free"}) as emulator:
        response = requests.get(f"{emulator.webhook_url()}user.current", timeout=10)
    assert response.status_code == 403
    assert response.json()["error"] == "ACCESS_DENIED"
