"""Helpers for client tests against the emulator over real HTTP."""

from __future__ import annotations

import collections
import datetime as dt
import threading
from typing import Any

from b24app.bitrix import Client, HostPolicy, LocalLeakyBucket, RetryPolicy, TokenPair
from b24app.emulator.testing import EmulatorServer

FAST_RETRY = RetryPolicy(base_delay=0.05, max_delay=0.2)


class RequestLog:
    """Counts of client requests by (method, outcome), fed by the on_request hook."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []

    def __call__(self, method: str, outcome: str, seconds: float) -> None:
        with self.lock:
            self.calls.append((method, outcome))

    def count(self, method: str | None = None, outcome: str | None = None) -> int:
        with self.lock:
            return sum(
                1
                for logged_method, logged_outcome in self.calls
                if method in (None, logged_method) and outcome in (None, logged_outcome)
            )


class ServerRequestCounter:
    """WSGI middleware counting the requests the emulator receives, by path prefix."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.paths: collections.Counter[str] = collections.Counter()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        prefix = "/rest/" if path.startswith("/rest/") else path
        with self.lock:
            self.paths[prefix] += 1
        return self.app(environ, start_response)


def count_server_requests(server: EmulatorServer) -> ServerRequestCounter:
    """Wrap the emulator's WSGI app in a counter; call before `server.start()`."""
    counter = ServerRequestCounter(server.app.wsgi_app)
    server.app.wsgi_app = counter
    return counter


def policy_for(server: EmulatorServer, *, alias: bool = True) -> HostPolicy:
    """Allow the emulator's portal (and its rename target) and its OAuth server."""
    domains = [server.domain, server.alias_domain] if alias else [server.domain]
    return HostPolicy(
        portal_domains=domains,
        oauth_servers=[server.base_url + "/"],
        allow_insecure=True,
    )


def install_pair(server: EmulatorServer) -> tuple[dict[str, Any], TokenPair]:
    """Install the app on the emulator; return its auth fields and token pair."""
    auth = server.install_app()
    pair = TokenPair(
        access_token=auth["access_token"],
        refresh_token=auth["refresh_token"],
        expires_at=dt.datetime.fromtimestamp(auth["expires"], tz=dt.UTC),
    )
    return auth, pair


def make_client(
    server: EmulatorServer, store: Any, portal_key: str = "portal-1", **options: Any
) -> Client:
    """Build an OAuth Client for the emulator with test-friendly defaults."""
    options.setdefault("host_policy", policy_for(server))
    options.setdefault("limiter", LocalLeakyBucket(burst=1000, rate=1000.0))
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("verify", server.ca_bundle or True)
    return Client(
        portal_key=portal_key,
        client_endpoint=server.client_endpoint,
        server_endpoint=server.server_endpoint,
        client_id=server.state.config["CLIENT_ID"],
        client_secret=server.state.config["CLIENT_SECRET"],
        token_store=store,
        **options,
    )
