"""Client-side copies of Bitrix24's per-portal limits.

Bitrix24 meters requests with a leaky bucket per portal and source IP: each
request adds 1, the level drains at `rate` per second, and a request that finds
the level above `burst` gets `503 QUERY_LIMIT_EXCEEDED` (defaults 50 and 2/s;
Enterprise plans 250 and 5/s). Every worker on one host shares that bucket, so
`RedisLeakyBucket` keeps the level in Redis; `LocalLeakyBucket` serves a single
process. Both also remember methods blocked by `OPERATION_TIME_LIMIT`.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Protocol

DEFAULT_BURST = 50
DEFAULT_RATE = 2.0

# KEYS[1]: bucket hash. ARGV: burst, rate, amount. Returns the seconds to wait
# as a string (Lua numbers returned to Redis are truncated to integers); "0"
# means the request was admitted and counted. Redis TIME gives every process the
# same clock.
_ACQUIRE_SCRIPT = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local amount = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local level = tonumber(redis.call('HGET', KEYS[1], 'level') or '0')
local updated = tonumber(redis.call('HGET', KEYS[1], 'updated') or tostring(now))
level = math.max(0, level - math.max(0, now - updated) * rate)
local ttl = math.ceil((burst / rate + 5) * 1000)
if level + amount <= burst then
  level = level + amount
  redis.call('HSET', KEYS[1], 'level', tostring(level), 'updated', tostring(now))
  redis.call('PEXPIRE', KEYS[1], ttl)
  return '0'
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], ttl)
return tostring((level + amount - burst) / rate)
"""


class RateLimiter(Protocol):
    """The limiter interface the client uses."""

    def acquire(self, portal_key: str) -> float: ...

    def saturate(self, portal_key: str) -> None: ...

    def block_method(self, portal_key: str, method: str, until: float) -> None: ...

    def method_blocked_until(self, portal_key: str, method: str) -> float | None: ...


class RedisLeakyBucket:
    """A leaky bucket per portal, shared by every process through Redis."""

    def __init__(
        self,
        redis: Any,
        key_prefix: str = "b24:limit",
        burst: int = DEFAULT_BURST,
        rate: float = DEFAULT_RATE,
    ) -> None:
        if burst < 1 or rate <= 0:
            raise ValueError("burst must be at least 1 and rate above 0")
        self.redis = redis
        self.key_prefix = key_prefix
        self.burst = burst
        self.rate = rate
        self._script = redis.register_script(_ACQUIRE_SCRIPT)

    def acquire(self, portal_key: str) -> float:
        """Block until the bucket has room, count one request, return seconds waited."""
        waited = 0.0
        key = f"{self.key_prefix}:bucket:{portal_key}"
        while True:
            wait = float(self._script(keys=[key], args=[self.burst, self.rate, 1]))
            if wait <= 0:
                return waited
            time.sleep(wait)
            waited += wait

    def saturate(self, portal_key: str) -> None:
        """Fill the bucket after Bitrix24 reported it full, so every process waits."""
        key = f"{self.key_prefix}:bucket:{portal_key}"
        now = _redis_now(self.redis)
        ttl = math.ceil((self.burst / self.rate + 5) * 1000)
        self.redis.hset(key, mapping={"level": str(self.burst), "updated": str(now)})
        self.redis.pexpire(key, ttl)

    def block_method(self, portal_key: str, method: str, until: float) -> None:
        """Record that `method` must not be called before Unix time `until`."""
        seconds = until - time.time()
        if seconds > 0:
            key = f"{self.key_prefix}:blocked:{portal_key}:{method.lower()}"
            self.redis.set(key, str(until), px=math.ceil(seconds * 1000))

    def method_blocked_until(self, portal_key: str, method: str) -> float | None:
        """Return the Unix time until which `method` is blocked, or None."""
        key = f"{self.key_prefix}:blocked:{portal_key}:{method.lower()}"
        value = self.redis.get(key)
        if value is None:
            return None
        until = float(value)
        return until if until > time.time() else None


class LocalLeakyBucket:
    """The same bucket kept in this process, for runs without Redis."""

    def __init__(self, burst: int = DEFAULT_BURST, rate: float = DEFAULT_RATE) -> None:
        if burst < 1 or rate <= 0:
            raise ValueError("burst must be at least 1 and rate above 0")
        self.burst = burst
        self.rate = rate
        self._levels: dict[str, tuple[float, float]] = {}
        self._blocked: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def acquire(self, portal_key: str) -> float:
        """Block until the bucket has room, count one request, return seconds waited."""
        waited = 0.0
        while True:
            wait = self._try_acquire(portal_key)
            if wait <= 0:
                return waited
            time.sleep(wait)
            waited += wait

    def _try_acquire(self, portal_key: str) -> float:
        with self._lock:
            now = time.monotonic()
            level, updated = self._levels.get(portal_key, (0.0, now))
            level = max(0.0, level - (now - updated) * self.rate)
            if level + 1 <= self.burst:
                self._levels[portal_key] = (level + 1, now)
                return 0.0
            self._levels[portal_key] = (level, now)
            return (level + 1 - self.burst) / self.rate

    def saturate(self, portal_key: str) -> None:
        """Fill the bucket after Bitrix24 reported it full."""
        with self._lock:
            self._levels[portal_key] = (float(self.burst), time.monotonic())

    def block_method(self, portal_key: str, method: str, until: float) -> None:
        """Record that `method` must not be called before Unix time `until`."""
        with self._lock:
            self._blocked[(portal_key, method.lower())] = until

    def method_blocked_until(self, portal_key: str, method: str) -> float | None:
        """Return the Unix time until which `method` is blocked, or None."""
        with self._lock:
            until = self._blocked.get((portal_key, method.lower()))
        return until if until is not None and until > time.time() else None


def _redis_now(redis: Any) -> float:
    seconds, microseconds = redis.time()
    return seconds + microseconds / 1_000_000
