"""100,000 rows with a fast keyset export; deterministic seeding; admin API."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import requests

from b24app.emulator.seed import seed_portal
from b24app.emulator.state import PortalState
from b24app.emulator.testing import EmulatorServer


def test_keyset_export_of_100k_deals(emulator: EmulatorServer, rest) -> None:
    created = requests.post(
        f"{emulator.base_url}/_emulator/bulk",
        json={"entity": "deal", "count": 100_000},
        timeout=30,
    ).json()
    assert created == {"first_id": 1, "last_id": 100_000}
    emulator.state.set_rate_limit(None)
    started = time.monotonic()
    seen, last_id = 0, 0
    while True:
        commands = {
            "c0": "crm.deal.list?order[ID]=ASC&select[]=ID&start=-1"
            f"&filter[>ID]={last_id}"
        }
        for index in range(1, 50):
            commands[f"c{index}"] = (
                "crm.deal.list?order[ID]=ASC&select[]=ID&start=-1"
                f"&filter[>ID]=$result[c{index - 1}][49][ID]"
            )
        result = rest.call("batch", {"cmd": commands}).json()["result"]["result"]
        rows = [row for key in commands for row in result.get(key, [])]
        seen += len(rows)
        if len(rows) < 2500:
            break
        last_id = int(rows[-1]["ID"])
    assert seen == 100_000
    assert time.monotonic() - started < 15


def test_offset_page_counts_total(emulator: EmulatorServer, rest) -> None:
    requests.post(
        f"{emulator.base_url}/_emulator/bulk",
        json={"entity": "contact", "count": 1000},
        timeout=30,
    )
    body = rest.call(
        "crm.contact.list", {"start": 950, "select": ["ID", "NAME"]}
    ).json()
    assert body["total"] == 1000
    assert "next" not in body
    assert body["result"][-1]["ID"] == "1000"


def test_seed_is_deterministic() -> None:
    first, second = PortalState(), PortalState()
    counts = seed_portal(first, seed=7, students=30, sp500=10)
    seed_portal(second, seed=7, students=30, sp500=10)
    assert counts["universities"] == 308
    assert counts["students"] == 30
    assert counts["deals"] == 95
    names = [
        (row["NAME"], row["LAST_NAME"])
        for row in first.crm.tables["contact"].rows.values()
    ]
    again = [
        (row["NAME"], row["LAST_NAME"])
        for row in second.crm.tables["contact"].rows.values()
    ]
    assert names == again


def test_seeded_students_use_reserved_contacts() -> None:
    state = PortalState()
    seed_portal(state, students=50, sp500=0)
    for row in state.crm.tables["contact"].rows.values():
        assert row["EMAIL"][0]["VALUE"].rsplit("@", 1)[1] in {
            "example.com",
            "example.org",
            "example.net",
        }
        assert row["PHONE"][0]["VALUE"].startswith("+7000")


def test_admin_create_as_user_and_state(emulator: EmulatorServer, auth) -> None:
    base = f"{emulator.base_url}/_emulator"
    created = requests.post(
        f"{base}/entities/deal",
        json={"fields": {"TITLE": "Card"}, "user_id": 2},
        timeout=10,
    ).json()
    deal = requests.get(f"{base}/entities/deal/{created['id']}", timeout=10).json()
    assert deal["CREATED_BY_ID"] == "2"
    before = deal["DATE_MODIFY"]
    emulator.state.crm.tables["deal"].rows[created["id"]]["DATE_MODIFY"] = (
        "2020-01-01T00:00:00+03:00"
    )
    requests.patch(
        f"{base}/entities/deal/{created['id']}",
        json={"fields": {"TITLE": "New"}},
        timeout=10,
    )
    after = requests.get(f"{base}/entities/deal/{created['id']}", timeout=10).json()
    assert after["DATE_MODIFY"] >= before
    snapshot = requests.get(f"{base}/state", timeout=10).json()
    assert snapshot["counts"]["deal"] == 1
    assert snapshot["app"]["installed"] is True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_cli_serves_tls_with_seed() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from b24app.emulator.cli import emulator_command; emulator_command()",
            "--port",
            str(port),
            "--tls",
            "--seed",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = {}
        while "member_id" not in lines:
            key, _, value = process.stdout.readline().partition(":")
            lines[key.strip()] = value.strip()
        ca_path = lines["CA certificate"]
        url = f"https://127.0.0.1:{port}/_emulator/state"
        for _ in range(50):
            try:
                state = requests.get(url, verify=ca_path, timeout=2).json()
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert state["counts"]["company"] > 300
        assert lines["client_id"].startswith("local.")
    finally:
        process.terminate()
        process.wait(timeout=10)
