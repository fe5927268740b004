"""A TokenStore kept in Redis, shared by test worker processes.

It plays the application's database-backed store: a redis-py lock for the
cross-process lock and a Lua compare-and-swap for `save`.
"""

from __future__ import annotations

import datetime as dt

import redis

from b24app.bitrix.tokens import TokenPair, redis_lock

_SAVE_SCRIPT = """
if redis.call('HGET', KEYS[1], 'access_token') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'refresh_token') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'access_token', ARGV[3], 'refresh_token', ARGV[4],
           'expires_at', ARGV[5])
redis.call('HINCRBY', KEYS[1], 'saves', 1)
return 1
"""


class RedisTokenStore:
    """Token pairs in a Redis hash per portal."""

    def __init__(self, url: str, prefix: str = "test:tokens") -> None:
        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = prefix
        self._save = self.redis.register_script(_SAVE_SCRIPT)

    def _key(self, portal_key: str) -> str:
        return f"{self.prefix}:{portal_key}"

    def put(self, portal_key: str, pair: TokenPair) -> None:
        self.redis.hset(
            self._key(portal_key),
            mapping={
                "access_token": pair.access_token,
                "refresh_token": pair.refresh_token,
                "expires_at": pair.expires_at.isoformat(),
                "saves": 0,
            },
        )

    def load(self, portal_key: str) -> TokenPair:
        row = self.redis.hgetall(self._key(portal_key))
        return TokenPair(
            access_token=row["access_token"],
            refresh_token=row["refresh_token"],
            expires_at=dt.datetime.fromisoformat(row["expires_at"]),
        )

    def lock(self, portal_key: str):
        return redis_lock(self.redis, f"{self._key(portal_key)}:lock", timeout=30)

    def save(self, portal_key: str, new: TokenPair, previous: TokenPair) -> bool:
        args = [
            previous.access_token,
            previous.refresh_token,
            new.access_token,
            new.refresh_token,
            new.expires_at.isoformat(),
        ]
        return bool(self._save(keys=[self._key(portal_key)], args=args))

    def mark_reauthorization_needed(self, portal_key: str, reason: str) -> None:
        self.redis.hset(self._key(portal_key), "reauthorization", reason)

    def saves(self, portal_key: str) -> int:
        return int(self.redis.hget(self._key(portal_key), "saves") or 0)
