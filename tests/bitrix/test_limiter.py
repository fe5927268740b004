import threading
import time

import pytest

from b24app.bitrix.limiter import LocalLeakyBucket, RedisLeakyBucket


def test_redis_bucket_admits_burst_without_waiting(redis_client):
    bucket = RedisLeakyBucket(redis_client, "t", burst=5, rate=10.0)

    waits = [bucket.acquire("portal-a") for _ in range(5)]

    assert waits == [0.0] * 5


def test_redis_bucket_waits_after_burst(redis_client):
    bucket = RedisLeakyBucket(redis_client, "t", burst=3, rate=10.0)
    for _ in range(3):
        bucket.acquire("portal-a")

    started = time.monotonic()
    waited = bucket.acquire("portal-a")
    elapsed = time.monotonic() - started

    assert waited > 0.05
    assert elapsed >= 0.05


def test_redis_bucket_keeps_portals_apart(redis_client):
    bucket = RedisLeakyBucket(redis_client, "t", burst=2, rate=1.0)
    bucket.acquire("portal-a")
    bucket.acquire("portal-a")

    assert bucket.acquire("portal-b") == 0.0


def test_redis_bucket_is_shared_between_instances(redis_client):
    first = RedisLeakyBucket(redis_client, "t", burst=2, rate=20.0)
    second = RedisLeakyBucket(redis_client, "t", burst=2, rate=20.0)
    first.acquire("portal-a")
    first.acquire("portal-a")

    assert second.acquire("portal-a") > 0


def test_redis_bucket_holds_rate_across_threads(redis_client):
    bucket = RedisLeakyBucket(redis_client, "t", burst=5, rate=20.0)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker():
        for _ in range(5):
            bucket.acquire("portal-a")
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(5)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 25 requests, 5 free, 20 more at 20/s: about one second in all.
    assert len(stamps) == 25
    assert max(stamps) - started >= 0.9


def test_redis_bucket_saturate_forces_wait(redis_client):
    bucket = RedisLeakyBucket(redis_client, "t", burst=4, rate=40.0)

    bucket.saturate("portal-a")

    assert bucket.acquire("portal-a") > 0


def test_redis_method_block_expires(redis_client):
    bucket = RedisLeakyBucket(redis_client, "t")
    until = time.time() + 0.3

    bucket.block_method("portal-a", "crm.deal.list", until)

    assert bucket.method_blocked_until("portal-a", "CRM.DEAL.LIST") == pytest.approx(
        until
    )
    assert bucket.method_blocked_until("portal-a", "crm.deal.get") is None
    assert bucket.method_blocked_until("portal-b", "crm.deal.list") is None
    time.sleep(0.4)
    assert bucket.method_blocked_until("portal-a", "crm.deal.list") is None


def test_local_bucket_waits_after_burst():
    bucket = LocalLeakyBucket(burst=2, rate=10.0)
    bucket.acquire("p")
    bucket.acquire("p")

    assert bucket.acquire("p") > 0.05


def test_local_method_block():
    bucket = LocalLeakyBucket()
    bucket.block_method("p", "crm.deal.list", time.time() + 10)

    assert bucket.method_blocked_until("p", "crm.deal.list") is not None
    assert bucket.method_blocked_until("p", "crm.deal.add") is None


@pytest.mark.parametrize(("burst", "rate"), [(0, 1.0), (5, 0.0)])
def test_bucket_rejects_bad_settings(burst, rate):
    with pytest.raises(ValueError):
        LocalLeakyBucket(burst=burst, rate=rate)
