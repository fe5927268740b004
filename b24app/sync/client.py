"""The REST client the sync jobs use: `client_for(portal)` plus request accounting."""

import logging
from collections import Counter
from collections.abc import Callable

from b24app import metrics
from b24app.bitrix import Client
from b24app.tenancy.clients import client_for
from b24app.tenancy.models import Portal

log = logging.getLogger(__name__)

RequestListener = Callable[[str, str, float], None]

# Extra observers of every sync HTTP request (the benchmark and tests count them).
_listeners: list[RequestListener] = []


def add_request_listener(listener: RequestListener) -> None:
    """Call `listener(method, outcome, seconds)` after every sync HTTP request."""
    _listeners.append(listener)


def remove_request_listener(listener: RequestListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


class RequestTally:
    """Counts the HTTP requests one sync job sends, by REST method and outcome."""

    def __init__(self) -> None:
        self.by_method: Counter[str] = Counter()
        self.by_outcome: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    def __call__(self, method: str, outcome: str, seconds: float) -> None:
        self.by_method[method] += 1
        self.by_outcome[outcome] += 1
        metrics.observe_rest_call(method, outcome, seconds)
        for listener in list(_listeners):
            listener(method, outcome, seconds)


def sync_client(portal: Portal) -> tuple[Client, RequestTally]:
    """Return a client for `portal` and the tally its requests are counted in."""
    client = client_for(portal)
    tally = RequestTally()
    client.on_request = tally
    return client, tally
