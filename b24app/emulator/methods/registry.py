"""Method registry and the per-call context handed to handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..wire import RestError, get_ci

if TYPE_CHECKING:
    from ..auth import Caller
    from ..state import Actor, PortalState


@dataclass
class ListResult:
    """A list result: rows plus the `total` and `next` envelope keys."""

    items: Any
    total: int
    next: int | None = None


@dataclass
class Call:
    """One method call: the portal, who calls, and the parsed parameters."""

    state: PortalState
    caller: Caller
    params: dict[str, Any]
    actor: Actor

    def get(self, name: str, default: Any = None) -> Any:
        """Return a parameter by name, ignoring case (`ID` and `id` are the same)."""
        return get_ci(self.params, name, default)

    def dict_param(self, name: str) -> dict[str, Any]:
        """Return a parameter that must be an object, or `{}` when absent."""
        value = self.get(name)
        if value in (None, "", []):
            return {}
        if not isinstance(value, dict):
            raise RestError("", f"Parameter '{name}' must be array.")
        return value

    def require_app_context(self) -> None:
        """Reject webhook calls to methods that need an application token."""
        if self.caller.kind != "app":
            raise RestError(
                "WRONG_AUTH_TYPE",
                "Current authorization type is denied for this method "
                "Application context required",
                403,
            )


Handler = Callable[[Call], Any]
METHODS: dict[str, Handler] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler under one or more lower-cased method names."""

    def register(func: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = func
        return func

    return register
