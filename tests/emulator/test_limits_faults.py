"""Leaky bucket, operating-time limit, injected faults, renamed-portal redirect."""

from __future__ import annotations

import time

import requests

from b24app.emulator.testing import EmulatorServer


def test_burst_over_limit_gives_503(emulator: EmulatorServer, rest) -> None:
    emulator.state.set_rate_limit({"burst": 5, "rate": 0.5})
    statuses = [rest.call("user.current").status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 503
    assert rest.call("user.current").json() == {
        "error": "QUERY_LIMIT_EXCEEDED",
        "error_description": "Too many requests",
    }


def test_batch_counts_as_one_request(emulator: EmulatorServer, rest) -> None:
    emulator.state.set_rate_limit({"burst": 2, "rate": 0.1})
    commands = {f"c{index}": "user.current" for index in range(30)}
    assert rest.call("batch", {"cmd": commands}).status_code == 200
    assert rest.call("user.current").status_code == 200
    assert rest.call("user.current").status_code == 503


def test_operating_limit_gives_429(emulator: EmulatorServer, rest) -> None:
    requests.post(
        f"{emulator.base_url}/_emulator/limits",
        json={"operating_limit": 10, "operating_cost": {"crm.deal.list": 6}},
        timeout=10,
    )
    first = rest.call("crm.deal.list").json()
    assert first["time"]["operating"] >= 6
    assert first["time"]["operating_reset_at"] > time.time()
    assert rest.call("crm.deal.list").status_code == 200
    blocked = rest.call("crm.deal.list")
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "OPERATION_TIME_LIMIT"
    assert rest.call("crm.deal.fields").status_code == 200


def test_html_503_fault_once(emulator: EmulatorServer, rest) -> None:
    requests.post(
        f"{emulator.base_url}/_emulator/faults",
        json={"kind": "error", "status": 503, "method": "crm.deal.list", "times": 1},
        timeout=10,
    )
    faulted = rest.call("crm.deal.list")
    assert faulted.status_code == 503
    assert faulted.headers["Content-Type"].startswith("text/html")
    assert "<html>" in faulted.text
    assert rest.call("crm.deal.list").status_code == 200


def test_hang_fault_exceeds_client_timeout(emulator: EmulatorServer, auth) -> None:
    emulator.state.faults.add({"kind": "hang", "seconds": 1.5, "times": 1})
    started = time.monotonic()
    try:
        requests.get(
            f"{emulator.client_endpoint}user.current",
            params={"auth": auth["access_token"]},
            timeout=0.3,
        )
    except requests.Timeout:
        timed_out = True
    else:
        timed_out = False
    assert timed_out
    assert time.monotonic() - started < 1.5


def test_latency_fault_delays_answer(emulator: EmulatorServer, rest) -> None:
    emulator.state.faults.add({"kind": "latency", "seconds": 0.3, "times": 1})
    started = time.monotonic()
    assert rest.call("user.current").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_renamed_portal_redirects(emulator: EmulatorServer, rest) -> None:
    old_endpoint = emulator.client_endpoint
    new_domain = requests.post(
        f"{emulator.base_url}/_emulator/rename", json={}, timeout=10
    ).json()["domain"]
    response = rest.call("user.current")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == f"http://{new_domain}/rest/user.current"
    moved = requests.post(location, json={"auth": rest.token}, timeout=10)
    assert moved.json()["result"]["ID"] == "1"
    assert not location.startswith(old_endpoint)
