"""Fidelity against unchanged third-party clients: fast_bitrix24 and b24pysdk."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from b24pysdk import BitrixApp, BitrixToken, BitrixWebhook, Client
from fast_bitrix24 import Bitrix

from b24app.emulator.seed import bulk_create
from b24app.emulator.testing import EmulatorServer


@pytest.fixture
def https_env(
    tls_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> EmulatorServer:
    """Point `requests` at the emulator's CA, as b24pysdk always speaks https."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_emulator.ca_bundle)
    tls_emulator.state.reset()
    return tls_emulator


def in_clean_thread(function) -> None:
    """Run `function` in a new thread with no asyncio event loop.

    fast_bitrix24 returns a Task instead of a result when it finds a running loop,
    which an earlier browser test's Playwright session can leave in this thread.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(function).result()


def test_fast_bitrix24_webhook(emulator: EmulatorServer) -> None:
    in_clean_thread(lambda: check_fast_bitrix24_webhook(emulator))


def test_fast_bitrix24_batch(emulator: EmulatorServer) -> None:
    in_clean_thread(lambda: check_fast_bitrix24_batch(emulator))


def check_fast_bitrix24_webhook(emulator: EmulatorServer) -> None:
    bx = Bitrix(emulator.webhook_url(), verbose=False)
    deal_id = bx.call("crm.deal.add", {"fields": {"TITLE": "FB deal"}}, raw=True)[
        "result"
    ]
    assert deal_id == 1
    bulk_create(emulator.state, "deal", 149)
    deals = bx.get_all("crm.deal.list", params={"select": ["ID", "TITLE"]})
    assert len(deals) == 150
    assert {deal["ID"] for deal in deals} == {str(number) for number in range(1, 151)}
    by_id = bx.get_by_ID("crm.deal.get", [1, 2])
    assert by_id["1"]["TITLE"] == "FB deal"


def check_fast_bitrix24_batch(emulator: EmulatorServer) -> None:
    bx = Bitrix(emulator.webhook_url(), verbose=False)
    created = bx.call(
        "crm.deal.add", [{"fields": {"TITLE": f"B{n}"}} for n in range(3)]
    )
    assert sorted(created) == [1, 2, 3]
    result = bx.call_batch(
        {
            "halt": 0,
            "cmd": {
                "one": "crm.deal.get?id=1",
                "two": "crm.deal.get?id=$result[one][ID]",
            },
        }
    )
    assert result["two"]["TITLE"] == "B0"


def test_b24pysdk_webhook_crud_and_paging(https_env: EmulatorServer) -> None:
    hook = https_env.webhook_url().rstrip("/").split("/rest/")[1]
    client = Client(BitrixWebhook(domain=https_env.domain, webhook_token=hook))
    deal_id = client.crm.deal.add({"TITLE": "SDK deal", "OPPORTUNITY": 10}).result
    assert deal_id == 1
    deal = client.crm.deal.get(bitrix_id=deal_id).result
    assert deal["TITLE"] == "SDK deal"
    bulk_create(https_env.state, "deal", 129)
    paged = client.crm.deal.list(select=["ID"]).as_list().result
    assert len(list(paged)) == 130
    fast = list(client.crm.deal.list(select=["ID"]).as_list_fast().result)
    assert [int(row["ID"]) for row in fast] == list(range(1, 131))


def test_b24pysdk_batch_with_app_token(https_env: EmulatorServer) -> None:
    auth = https_env.install_app()
    config = https_env.state.config
    app = BitrixApp(
        client_id=config["CLIENT_ID"], client_secret=config["CLIENT_SECRET"]
    )
    token = BitrixToken(
        domain=https_env.domain,
        auth_token=auth["access_token"],
        refresh_token=auth["refresh_token"],
        bitrix_app=app,
    )
    client = Client(token)
    first = client.crm.deal.add({"TITLE": "one"}).result
    batch = client.call_batch(
        {
            "get": client.crm.deal.get(bitrix_id=first),
            "missing": client.crm.deal.get(bitrix_id=999),
        }
    ).result
    assert batch.result["get"]["TITLE"] == "one"
    assert "missing" in batch.result_error
