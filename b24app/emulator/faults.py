"""Injected faults: latency, HTML 500/503 pages and hangs, per method or global."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

KINDS = {"latency", "error", "hang"}


@dataclass
class Fault:
    """One fault rule; `times=None` keeps it active until cleared."""

    kind: str
    method: str = "*"
    status: int = 503
    seconds: float = 0.0
    times: int | None = None

    def matches(self, method: str) -> bool:
        """Return True when the rule applies to the method name (case-insensitive)."""
        return self.method == "*" or self.method.lower() == method.lower()


class FaultSet:
    """Thread-safe list of fault rules consumed by the REST layer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, spec: dict[str, Any]) -> Fault:
        """Add a rule from an admin spec such as `{"kind": "error", "status": 503}`."""
        kind = str(spec.get("kind", ""))
        if kind not in KINDS:
            raise ValueError(
                f"invalid fault kind {kind!r}; expected one of {sorted(KINDS)}"
            )
        times = spec.get("times")
        fault = Fault(
            kind=kind,
            method=str(spec.get("method", "*")),
            status=int(spec.get("status", 503)),
            seconds=float(spec.get("seconds", 120.0 if kind == "hang" else 0.0)),
            times=None if times is None else int(times),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._faults.clear()

    def take(self, method: str) -> list[Fault]:
        """Return the rules that fire for this call, using up one of their `times`."""
        fired = []
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(method):
                    continue
                fired.append(fault)
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
        return fired

    def describe(self) -> list[dict[str, Any]]:
        """Return the active rules for the admin state view."""
        with self._lock:
            return [vars(fault).copy() for fault in self._faults]
