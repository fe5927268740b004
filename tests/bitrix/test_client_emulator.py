"""The REST client against the emulator over real HTTP on loopback."""

from __future__ import annotations

import logging
import math
import multiprocessing
import threading
import time
import uuid

import pytest

from b24app.bitrix import (
    AuthorizationRevoked,
    BatchError,
    HostNotAllowed,
    LocalLeakyBucket,
    MemoryTokenStore,
    NotFoundError,
    OperationTimeLimit,
    RetryPolicy,
    ServerError,
    TransportError,
    WebhookClient,
    WriteTimeoutError,
)
from b24app.emulator.seed import bulk_create
from b24app.emulator.testing import EmulatorServer

from .redis_store import RedisTokenStore
from .refresh_worker import call_after_barrier
from .support import (
    FAST_RETRY,
    RequestLog,
    count_server_requests,
    install_pair,
    make_client,
    policy_for,
)

PORTAL = "portal-1"


@pytest.fixture(scope="module")
def running_server():
    emulator = EmulatorServer({"RATE_LIMIT": None})
    counter = count_server_requests(emulator)
    with emulator:
        emulator.counter = counter
        yield emulator


@pytest.fixture
def server(running_server):
    """The module's emulator, emptied and moved back to its first address."""
    state = running_server.state
    state.reset()
    with state.lock:
        state.config["OPERATING_COST"] = {}
        state.old_domains.clear()
    state.set_addresses("http", running_server.domain, running_server.alias_domain)
    running_server.counter.paths.clear()
    return running_server


@pytest.fixture
def store(server):
    _, pair = install_pair(server)
    memory = MemoryTokenStore()
    memory.put(PORTAL, pair)
    return memory


def test_call_returns_result(server, store):
    client = make_client(server, store)

    response = client.call("user.current")

    assert response.result["ID"] == "1"
    assert "duration" in response.time


def test_missing_deal_raises_not_found(server, store):
    client = make_client(server, store)

    with pytest.raises(NotFoundError) as caught:
        client.call("crm.deal.get", {"id": 999999})

    assert caught.value.status == 400
    assert caught.value.method == "crm.deal.get"


def test_expired_token_refreshes_once_across_threads(server, store):
    clients = [make_client(server, store) for _ in range(5)]
    client_ids = [client.call("user.current").result["ID"] for client in clients]
    server.state.tokens.expire_access_tokens()
    barrier = threading.Barrier(5)
    results: list[str] = []
    failures: list[BaseException] = []

    def work(client):
        barrier.wait(timeout=10)
        try:
            results.append(client.call("user.current").result["ID"])
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert client_ids == ["1"] * 5
    assert failures == []
    assert results == ["1"] * 5
    assert store.saves == 1
    assert server.counter.paths["/oauth/token/"] == 1


def test_expired_token_refreshes_once_across_processes(server, redis_url):
    _, pair = install_pair(server)
    prefix = f"test:tokens:{uuid.uuid4().hex}"
    shared = RedisTokenStore(redis_url, prefix)
    shared.put(PORTAL, pair)
    server.state.tokens.expire_access_tokens()
    settings = {
        "redis_url": redis_url,
        "prefix": prefix,
        "portal_key": PORTAL,
        "client_endpoint": server.client_endpoint,
        "server_endpoint": server.server_endpoint,
        "client_id": server.state.config["CLIENT_ID"],
        "client_secret": server.state.config["CLIENT_SECRET"],
        "policy": {
            "portal_domains": [server.domain],
            "oauth_servers": [server.base_url + "/"],
            "allow_insecure": True,
        },
    }
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(5)

    with context.Pool(5) as pool:
        pending = [
            pool.apply_async(call_after_barrier, (settings, barrier)) for _ in range(5)
        ]
        results = [item.get(timeout=60) for item in pending]

    assert results == ["1"] * 5
    assert shared.saves(PORTAL) == 1
    assert server.counter.paths["/oauth/token/"] == 1
    shared.redis.delete(f"{prefix}:{PORTAL}")


def test_revoked_tokens_mark_reauthorization(server, store):
    client = make_client(server, store)
    with server.state.lock:
        server.state.tokens.revoke_all()

    with pytest.raises(AuthorizationRevoked) as caught:
        client.call("user.current")

    assert caught.value.code == "invalid_token"
    assert store.reauthorization_reasons[PORTAL] == "invalid_token"


def test_spent_refresh_token_marks_reauthorization(server, store):
    client = make_client(server, store)
    with server.state.lock:
        server.state.tokens.refresh[store.load(PORTAL).refresh_token].used = True
    server.state.tokens.expire_access_tokens()

    with pytest.raises(AuthorizationRevoked) as caught:
        client.call("user.current")

    assert caught.value.code == "invalid_grant"
    assert store.reauthorization_reasons[PORTAL] == "invalid_grant"


def test_wrong_client_with_http_200_is_revoked(server, store):
    client = make_client(server, store)
    client.client_id = "local.ffffffffffffff.99999999"
    server.state.tokens.expire_access_tokens()

    with pytest.raises(AuthorizationRevoked) as caught:
        client.call("user.current")

    assert caught.value.code == "wrong_client"
    assert caught.value.status == 200
    assert store.reauthorization_reasons[PORTAL] == "wrong_client"


def test_batch_failure_names_key(server, store):
    client = make_client(server, store)
    deal_id = client.call("crm.deal.add", {"fields": {"TITLE": "Kept"}}).result

    with pytest.raises(BatchError) as caught:
        client.batch(
            {
                "good": ("crm.deal.get", {"id": deal_id}),
                "missing": ("crm.deal.get", {"id": 999999}),
            }
        )

    assert "'missing'" in str(caught.value)
    assert "'good'" not in str(caught.value)
    assert caught.value.results["good"]["TITLE"] == "Kept"
    assert isinstance(caught.value.errors["missing"], NotFoundError)


def test_batch_without_raise_exposes_errors(server, store):
    client = make_client(server, store)

    outcome = client.batch(
        [("user.current", None), ("crm.deal.get", {"id": 999999})],
        raise_on_error=False,
    )

    assert not outcome.ok
    assert outcome.results[0]["ID"] == "1"
    assert list(outcome.errors) == [1]


def test_batch_passes_encoded_values_intact(server, store):
    client = make_client(server, store)
    title = "Сделка & co #1 + 50% [draft] ?x=y"

    outcome = client.batch(
        {
            "add": ("crm.deal.add", {"fields": {"TITLE": title}}),
            "read": ("crm.deal.get", {"id": "$result[add]"}),
        }
    )

    assert outcome.results["read"]["TITLE"] == title


def test_batch_rejects_more_than_fifty(server, store):
    client = make_client(server, store)
    commands = {f"c{index}": "user.current" for index in range(51)}

    with pytest.raises(ValueError, match="at most 50"):
        client.batch(commands)


def test_export_yields_each_deal_once(server, store):
    total = 12345
    first_id, last_id = bulk_create(server.state, "deal", total)
    requests_log = RequestLog()
    client = make_client(server, store, on_request=requests_log)
    before = server.counter.paths["/rest/"]

    ids = [int(row["ID"]) for row in client.list_all("crm.deal.list", select=["ID"])]

    assert len(ids) == total
    assert len(set(ids)) == total
    assert ids == sorted(ids)
    assert ids[0] == first_id
    assert ids[-1] == last_id
    assert requests_log.count() <= math.ceil(total / 2500) + 1
    assert server.counter.paths["/rest/"] - before == requests_log.count()


@pytest.mark.parametrize("total", [0, 49, 50, 51, 2550, 2551])
def test_export_page_boundaries(server, store, total):
    if total:
        bulk_create(server.state, "deal", total)
    requests_log = RequestLog()
    client = make_client(server, store, on_request=requests_log)

    ids = [int(row["ID"]) for row in client.list_all("crm.deal.list", select=["ID"])]

    assert len(ids) == total
    assert len(set(ids)) == total
    assert requests_log.count() <= math.ceil(total / 2500) + 1


def test_export_with_filter_and_item_shape(server, store):
    bulk_create(server.state, "deal", 120, {"TYPE_ID": "SALE"})
    bulk_create(server.state, "deal", 80, {"TYPE_ID": "SERVICE"})
    client = make_client(server, store)

    classic = list(client.list_all("crm.deal.list", filter={"TYPE_ID": "SERVICE"}))
    items = list(
        client.list_all(
            "crm.item.list",
            item_shape="item",
            entity_type_id=2,
            filter={"typeId": "SERVICE"},
        )
    )

    assert len(classic) == 80
    assert {row["TYPE_ID"] for row in classic} == {"SERVICE"}
    assert len(items) == 80
    assert [int(row["id"]) for row in items] == [int(row["ID"]) for row in classic]


def test_burst_over_limit_backs_off(server, store):
    server.state.set_rate_limit({"burst": 5, "rate": 20})
    requests_log = RequestLog()
    retry = RetryPolicy(query_limit_attempts=20, base_delay=0.05, max_delay=0.2)
    client = make_client(server, store, on_request=requests_log, retry=retry)
    results: list[str] = []

    def work():
        for _ in range(10):
            results.append(client.call("user.current").result["ID"])

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert results == ["1"] * 30
    assert requests_log.count(outcome="QUERY_LIMIT_EXCEEDED") > 0


def test_rename_resends_post_with_body(server, store):
    moves: list[tuple[str, str]] = []
    requests_log = RequestLog()
    client = make_client(
        server,
        store,
        on_request=requests_log,
        on_domain_change=lambda domain, endpoint: moves.append((domain, endpoint)),
    )
    server.state.rename()

    deal_id = client.call("crm.deal.add", {"fields": {"TITLE": "After move"}}).result
    deal = client.call("crm.deal.get", {"id": deal_id}).result

    new_endpoint = f"{server.alias_base_url}/rest/"
    assert deal["TITLE"] == "After move"
    assert moves == [(server.alias_domain, new_endpoint)]
    assert store.domains[PORTAL] == (server.alias_domain, new_endpoint)
    assert client.client_endpoint == new_endpoint
    assert requests_log.count(outcome="redirect") == 1
    assert requests_log.count("crm.deal.get") == 1


def test_rename_to_unlisted_host_raises(server, store):
    client = make_client(server, store, host_policy=policy_for(server, alias=False))
    server.state.rename()

    with pytest.raises(HostNotAllowed):
        client.call("crm.deal.add", {"fields": {"TITLE": "Nowhere"}})

    assert server.counter.paths["/rest/"] == 1


def test_html_503_page_is_typed_error(server, store):
    server.state.faults.add({"kind": "error", "status": 503, "method": "crm.deal.list"})
    requests_log = RequestLog()
    client = make_client(server, store, on_request=requests_log)

    with pytest.raises(ServerError) as caught:
        client.call("crm.deal.list")

    assert caught.value.status == 503
    assert "non-JSON" in str(caught.value)
    assert requests_log.count("crm.deal.list") == FAST_RETRY.read_attempts


def test_html_503_once_is_retried_for_reads(server, store):
    server.state.faults.add(
        {"kind": "error", "status": 503, "method": "crm.deal.list", "times": 1}
    )
    client = make_client(server, store)

    response = client.call("crm.deal.list")

    assert response.result == []


def test_html_error_on_write_is_not_retried(server, store):
    server.state.faults.add({"kind": "error", "status": 500, "method": "crm.deal.add"})
    requests_log = RequestLog()
    client = make_client(server, store, on_request=requests_log)

    with pytest.raises(ServerError):
        client.call("crm.deal.add", {"fields": {"TITLE": "x"}})

    assert requests_log.count("crm.deal.add") == 1


def test_write_timeout_is_not_retried(server, store):
    server.state.faults.add(
        {"kind": "latency", "seconds": 1.0, "method": "crm.deal.add", "times": 1}
    )
    requests_log = RequestLog()
    client = make_client(server, store, on_request=requests_log, timeout=(2.0, 0.3))

    with pytest.raises(WriteTimeoutError) as caught:
        client.call("crm.deal.add", {"fields": {"TITLE": "Slow"}})
    time.sleep(1.0)

    assert caught.value.is_timeout
    assert requests_log.count("crm.deal.add") == 1
    assert server.state.snapshot()["counts"]["deal"] == 1


def test_read_timeout_is_retried(server, store):
    server.state.faults.add(
        {"kind": "latency", "seconds": 0.6, "method": "crm.deal.list", "times": 1}
    )
    requests_log = RequestLog()
    client = make_client(server, store, on_request=requests_log, timeout=(2.0, 0.3))

    response = client.call("crm.deal.list")

    assert response.result == []
    assert requests_log.count("crm.deal.list", "timeout") == 1
    assert requests_log.count("crm.deal.list", "ok") == 1


def test_operation_time_limit_blocks_only_that_method(server, store):
    with server.state.lock:
        server.state.operating.limit = 1.0
        server.state.config["OPERATING_COST"] = {"crm.deal.list": 2.0}
    requests_log = RequestLog()
    client = make_client(server, store, on_request=requests_log)
    client.call("crm.deal.list")

    with pytest.raises(OperationTimeLimit) as first:
        client.call("crm.deal.list")
    with pytest.raises(OperationTimeLimit):
        client.call("crm.deal.list")
    other = client.call("user.current")

    assert first.value.reset_at > time.time() + 60
    assert requests_log.count("crm.deal.list") == 2
    assert other.result["ID"] == "1"


def test_webhook_client_calls_and_exports(server):
    bulk_create(server.state, "deal", 60)
    url = server.webhook_url()
    client = WebhookClient(
        url,
        host_policy=policy_for(server),
        limiter=LocalLeakyBucket(burst=1000, rate=1000.0),
        retry=FAST_RETRY,
    )

    me = client.call("user.current").result
    rows = list(client.list_all("crm.deal.list", select=["ID"]))

    assert me["ID"] == "1"
    assert len(rows) == 60
    assert url.split("/")[-2] not in repr(client)


def test_webhook_rename_keeps_secret_path(server):
    url = server.webhook_url()
    moves: list[tuple[str, str]] = []
    client = WebhookClient(
        url,
        host_policy=policy_for(server),
        on_domain_change=lambda domain, endpoint: moves.append((domain, endpoint)),
    )
    server.state.rename()

    me = client.call("user.current").result

    secret_path = url.split("/rest/")[1]
    assert me["ID"] == "1"
    assert client.client_endpoint == f"{server.alias_base_url}/rest/{secret_path}"
    assert moves[0][0] == server.alias_domain


def test_logs_contain_no_secrets(server, store, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(server, store)
    webhook_url = server.webhook_url()
    webhook = WebhookClient(webhook_url, host_policy=policy_for(server))
    old_pair = store.load(PORTAL)

    client.call("user.current")
    server.state.tokens.expire_access_tokens()
    client.call("crm.deal.add", {"fields": {"TITLE": "Logged"}})
    with pytest.raises(BatchError):
        client.batch({"bad": ("crm.deal.get", {"id": 999999})})
    webhook.call("user.current")
    server.state.rename()
    webhook.call("crm.deal.list")
    new_pair = store.load(PORTAL)

    client_records = [
        record
        for record in caplog.records
        if not record.name.startswith(("b24app.emulator", "werkzeug"))
    ]
    text = "\n".join(record.getMessage() for record in client_records)
    secrets = [
        old_pair.access_token,
        old_pair.refresh_token,
        new_pair.access_token,
        new_pair.refresh_token,
        server.state.application_token,
        server.state.config["CLIENT_SECRET"],
        webhook_url.split("/")[-2],
    ]
    assert new_pair.access_token != old_pair.access_token
    assert any(record.name.startswith("urllib3") for record in client_records)
    assert any(record.name.startswith("b24app.bitrix") for record in client_records)
    for secret in secrets:
        assert secret not in text


def test_https_with_ca_bundle():
    with EmulatorServer({"RATE_LIMIT": None}, tls=True) as tls_server:
        _, pair = install_pair(tls_server)
        memory = MemoryTokenStore()
        memory.put(PORTAL, pair)
        strict = make_client(tls_server, memory)
        unverified = make_client(tls_server, memory, verify=True)

        me = strict.call("user.current").result
        tls_server.state.tokens.expire_access_tokens()
        again = strict.call("user.current").result
        with pytest.raises(TransportError):
            unverified.call("user.current")

    assert tls_server.base_url.startswith("https://")
    assert me["ID"] == "1"
    assert again["ID"] == "1"
    assert memory.saves == 1


def test_plain_http_needs_insecure_policy(server, store):
    policy = policy_for(server)
    policy.allow_insecure = False

    with pytest.raises(HostNotAllowed):
        make_client(server, store, host_policy=policy)


def test_connection_refused_is_transport_error():
    emulator = EmulatorServer({"RATE_LIMIT": None}).start()
    _, pair = install_pair(emulator)
    memory = MemoryTokenStore()
    memory.put(PORTAL, pair)
    client = make_client(emulator, memory, retry=RetryPolicy(read_attempts=1))
    emulator.stop()

    with pytest.raises(TransportError) as caught:
        client.call("user.current")

    assert not caught.value.is_timeout
    assert not isinstance(caught.value, WriteTimeoutError)


def test_documented_get_refresh_hides_secret_in_logs(server, store, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(server, store, token_request_method="GET")
    old_pair = store.load(PORTAL)
    server.state.tokens.expire_access_tokens()

    me = client.call("user.current").result

    text = "\n".join(record.getMessage() for record in caplog.records)
    assert me["ID"] == "1"
    assert store.saves == 1
    assert "/oauth/token/?" in text
    assert server.state.config["CLIENT_SECRET"] not in text
    assert old_pair.refresh_token not in text


def test_operation_time_limit_inside_batch_blocks_method(server, store):
    with server.state.lock:
        server.state.operating.limit = 1.0
        server.state.config["OPERATING_COST"] = {"crm.deal.list": 2.0}
    requests_log = RequestLog()
    client = make_client(server, store, on_request=requests_log)

    outcome = client.batch(
        {"first": ("crm.deal.list", {}), "second": ("crm.deal.list", {})},
        raise_on_error=False,
    )
    with pytest.raises(OperationTimeLimit) as blocked:
        client.call("crm.deal.list")

    assert list(outcome.results) == ["first"]
    assert isinstance(outcome.errors["second"], OperationTimeLimit)
    assert blocked.value.reset_at > time.time() + 60
    assert requests_log.count() == 1
