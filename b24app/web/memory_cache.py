"""Values with an expiry time in this process, for the embedded mode without Redis."""

import threading
import time
from typing import Any


class MemoryCache:
    """A dict of values that expire, safe to share between threads."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[float, Any]] = {}
        self.lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[0] < time.monotonic():
                self.entries.pop(key, None)
                return None
            return entry[1]

    def set(self, key: str, value: Any, seconds: int) -> None:
        with self.lock:
            self.entries[key] = (time.monotonic() + seconds, value)
