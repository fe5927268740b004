"""batch: references, per-command errors, halt, keyset export chains, empty sections."""

from __future__ import annotations

import requests

from b24app.emulator.seed import bulk_create
from b24app.emulator.testing import EmulatorServer


def test_batch_references_and_failure(rest) -> None:
    company = rest.result("crm.company.add", {"fields": {"TITLE": "Northwind"}})
    deal = rest.result(
        "crm.deal.add", {"fields": {"TITLE": "d", "COMPANY_ID": company}}
    )
    body = rest.call(
        "batch",
        {
            "halt": 0,
            "cmd": {
                "deal": f"crm.deal.get?id={deal}",
                "company": "crm.company.get?id=$result[deal][COMPANY_ID]",
                "missing": "crm.deal.get?id=999",
            },
        },
    ).json()["result"]
    assert body["result"]["company"]["TITLE"] == "Northwind"
    assert body["result_error"]["missing"] == {
        "error": "",
        "error_description": "Not found",
    }
    assert set(body["result_time"]) == {"deal", "company"}
    assert body["result_total"] == []
    assert body["result_next"] == []


def test_batch_halt_stops_at_first_error(rest) -> None:
    body = rest.call(
        "batch",
        {
            "halt": 1,
            "cmd": {
                "bad": "crm.deal.get?id=1",
                "never": "crm.deal.add?fields[TITLE]=x",
            },
        },
    ).json()["result"]
    assert list(body["result_error"]) == ["bad"]
    assert body["result"] == []
    assert rest.result("crm.deal.list") == []


def test_batch_numeric_keys_give_lists(rest) -> None:
    body = rest.call(
        "batch",
        {"cmd": ["crm.deal.add?fields[TITLE]=a", "crm.deal.add?fields[TITLE]=b"]},
    ).json()["result"]
    assert body["result"] == [1, 2]
    assert body["result_error"] == []


def test_batch_form_encoded_command(emulator: EmulatorServer, auth) -> None:
    data = {
        "auth": auth["access_token"],
        "halt": "0",
        "cmd[a]": "crm.deal.add?fields%5BTITLE%5D=Form%26Co",
        "cmd[b]": "crm.deal.get?id=$result[a]",
    }
    body = requests.post(
        f"{emulator.client_endpoint}batch", data=data, timeout=10
    ).json()
    assert body["result"]["result"]["b"]["TITLE"] == "Form&Co"


def test_batch_keyset_export_chain(emulator: EmulatorServer, rest) -> None:
    bulk_create(emulator.state, "deal", 260)
    commands = {
        "req_0": "crm.deal.list?order[ID]=ASC&filter[>ID]=0&select[]=ID&start=-1"
    }
    for index in range(1, 6):
        commands[f"req_{index}"] = (
            "crm.deal.list?order[ID]=ASC&select[]=ID&start=-1"
            f"&filter[>ID]=$result[req_{index - 1}][49][ID]"
        )
    body = rest.call("batch", {"cmd": commands}).json()["result"]
    ids = [int(row["ID"]) for key in commands for row in body["result"][key]]
    assert ids == list(range(1, 261))
    assert body["result_total"] == {key: 0 for key in commands}


def test_batch_list_total_and_next(emulator: EmulatorServer, rest) -> None:
    bulk_create(emulator.state, "contact", 70)
    body = rest.call("batch", {"cmd": {"page": "crm.contact.list?start=0"}}).json()[
        "result"
    ]
    assert body["result_total"] == {"page": 70}
    assert body["result_next"] == {"page": 50}
