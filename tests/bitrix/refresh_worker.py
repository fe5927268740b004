"""Worker-process entry point for the cross-process refresh test."""

from __future__ import annotations

from typing import Any

from b24app.bitrix import Client, HostPolicy, LocalLeakyBucket, RetryPolicy

from .redis_store import RedisTokenStore


def call_after_barrier(settings: dict[str, Any], barrier: Any) -> Any:
    """Build a Client in this process, wait for the others, call user.current."""
    store = RedisTokenStore(settings["redis_url"], settings["prefix"])
    client = Client(
        portal_key=settings["portal_key"],
        client_endpoint=settings["client_endpoint"],
        server_endpoint=settings["server_endpoint"],
        client_id=settings["client_id"],
        client_secret=settings["client_secret"],
        token_store=store,
        host_policy=HostPolicy(**settings["policy"]),
        limiter=LocalLeakyBucket(burst=1000, rate=1000.0),
        retry=RetryPolicy(base_delay=0.05, max_delay=0.2),
    )
    barrier.wait(timeout=30)
    return client.call("user.current").result["ID"]
