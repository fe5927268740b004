"""Emulator test fixtures: a live emulator, an installed app, an event receiver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests

from b24app.emulator.testing import EmulatorServer


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """Start a fresh emulator (HTTP) for one test."""
    with EmulatorServer() as server:
        yield server


@pytest.fixture(scope="module")
def tls_emulator() -> Iterator[EmulatorServer]:
    """Start one HTTPS emulator per module; its CA is at `.ca_bundle`."""
    with EmulatorServer(tls=True) as server:
        yield server


@pytest.fixture
def auth(emulator: EmulatorServer) -> dict[str, Any]:
    """Install the app and return the auth fields it received."""
    return emulator.install_app()


class RestClient:
    """Minimal client that posts JSON to `/rest/<method>` with the app's token."""

    def __init__(self, server: EmulatorServer, token: str) -> None:
        self.server = server
        self.token = token

    def call(
        self, method: str, params: dict[str, Any] | None = None
    ) -> requests.Response:
        """Call a method and return the raw response."""
        body = {**(params or {}), "auth": self.token}
        return requests.post(
            f"{self.server.client_endpoint}{method}",
            json=body,
            timeout=10,
            allow_redirects=False,
        )

    def result(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Call a method, require HTTP 200 and return `result`."""
        response = self.call(method, params)
        assert response.status_code == 200, response.text
        return response.json()["result"]


@pytest.fixture
def rest(emulator: EmulatorServer, auth: dict[str, Any]) -> RestClient:
    """Return a REST client for the installed app."""
    return RestClient(emulator, auth["access_token"])


class Receiver:
    """Loopback HTTP server that records form-encoded POSTs."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                with receiver.arrived:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "content_type": self.headers.get("Content-Type"),
                            "pairs": parse_qsl(body, keep_blank_values=True),
                        }
                    )
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                """Keep test output quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/events"
        threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        ).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until `count` requests arrived and return all of them."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Start an event receiver on loopback."""
    server = Receiver()
    yield server
    server.close()
