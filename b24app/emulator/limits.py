"""The two documented REST limits: the leaky bucket and per-method operating time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

WINDOW_SECONDS = 600
BUCKET_SECONDS = 60


@dataclass
class LeakyBucket:
    """Counter that drains `rate` per second; a request over `burst` fails.

    Rejected requests do not fill the bucket; the docs are silent on that point.
    """

    burst: float
    rate: float
    level: float = 0.0
    updated: float = field(default_factory=time.monotonic)

    def try_acquire(self) -> bool:
        """Count one request; return False if it would exceed the burst."""
        moment = time.monotonic()
        self.level = max(0.0, self.level - (moment - self.updated) * self.rate)
        self.updated = moment
        if self.level + 1 > self.burst:
            return False
        self.level += 1
        return True


@dataclass
class OperatingMeter:
    """Execution time per (auth, method) summed in ten one-minute buckets."""

    limit: float | None
    buckets: dict[tuple[str, str], dict[int, float]] = field(default_factory=dict)

    def _current(self, key: tuple[str, str], moment: float) -> dict[int, float]:
        bucket_map = self.buckets.setdefault(key, {})
        oldest = int(moment // BUCKET_SECONDS) * BUCKET_SECONDS - WINDOW_SECONDS
        for start in [start for start in bucket_map if start <= oldest]:
            del bucket_map[start]
        return bucket_map

    def is_blocked(self, key: tuple[str, str]) -> bool:
        """Return True when the method already used more than the limit."""
        if self.limit is None:
            return False
        return sum(self._current(key, time.time()).values()) > self.limit

    def record(self, key: tuple[str, str], seconds: float) -> tuple[float, int]:
        """Add execution time; return (`operating`, `operating_reset_at`)."""
        moment = time.time()
        bucket_map = self._current(key, moment)
        start = int(moment // BUCKET_SECONDS) * BUCKET_SECONDS
        bucket_map[start] = bucket_map.get(start, 0.0) + seconds
        reset_at = min(bucket_map) + WINDOW_SECONDS
        return sum(bucket_map.values()), int(reset_at)
