"""EmulatorServer: the emulator on a free loopback port in a background thread."""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import create_app
from .crm_roles import PRESETS
from .crm_schema import ENTITY_TYPES
from .state import PortalState
from .tls import generate_tls_files

DEFAULT_WEBHOOK_SCOPE = "crm,user_brief"


class QuietRequestHandler(WSGIRequestHandler):
    """Request handler without the access log, whose URLs would show tokens."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the per-request access log line."""


class EmulatorServer:
    """Serve one emulated portal on 127.0.0.1 (HTTP or HTTPS) for tests.

    A second listener on another port is the portal's new address after a rename.
    """

    def __init__(self, config: dict[str, Any] | None = None, tls: bool = False) -> None:
        self.tls = tls
        self.app: Flask = create_app(config)
        self.state: PortalState = self.app.extensions["b24emulator"]
        self.ca_bundle: str | None = None
        self._tmpdir: str | None = None
        self._servers: list[BaseWSGIServer] = []
        self._threads: list[threading.Thread] = []
        self.base_url = ""
        self.domain = ""
        self.alias_domain = ""

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> EmulatorServer:
        """Bind the two ports and start serving."""
        context = None
        if self.tls:
            self._tmpdir = tempfile.mkdtemp(prefix="b24emu-tls-")
            files = generate_tls_files(Path(self._tmpdir))
            self.ca_bundle = str(files.ca_cert)
            context = files.server_context()
        for _ in range(2):
            server = make_server(
                "127.0.0.1",
                0,
                self.app,
                threaded=True,
                ssl_context=context,
                request_handler=QuietRequestHandler,
            )
            server.daemon_threads = True
            self._servers.append(server)
        scheme = "https" if self.tls else "http"
        self.domain = f"127.0.0.1:{self._servers[0].server_port}"
        self.alias_domain = f"127.0.0.1:{self._servers[1].server_port}"
        self.base_url = f"{scheme}://{self.domain}"
        self.state.set_addresses(scheme, self.domain, self.alias_domain)
        for server in self._servers:
            # A short poll interval keeps stop() fast; the default is 0.5 s per server.
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                daemon=True,
                name="b24emu-http",
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving, stop event workers and delete generated certificates."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.state.events.stop()
        self._servers.clear()
        self._threads.clear()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------

    @property
    def client_endpoint(self) -> str:
        """Return the portal REST base, `base_url + "/rest/"`."""
        return f"{self.base_url}/rest/"

    @property
    def server_endpoint(self) -> str:
        """Return the OAuth server REST base (the same listener as the portal)."""
        return f"{self.base_url}/rest/"

    @property
    def oauth_token_url(self) -> str:
        """Return the OAuth token endpoint."""
        return f"{self.base_url}/oauth/token/"

    @property
    def alias_base_url(self) -> str:
        """Return the base URL the portal moves to on rename."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.alias_domain}"

    # -- helpers -------------------------------------------------------------

    def install_app(self, client_id: str | None = None) -> dict[str, Any]:
        """Play a completed install of the registered app; return the auth fields."""
        if client_id is not None and client_id != self.state.config["CLIENT_ID"]:
            raise ValueError(
                f"client_id {client_id!r} is not the registered app "
                f"{self.state.config['CLIENT_ID']!r}"
            )
        return self.state.install_app()

    def webhook_url(self, user_id: int = 1, scope: str = DEFAULT_WEBHOOK_SCOPE) -> str:
        """Create an incoming webhook and return its URL, ending with a slash."""
        with self.state.lock:
            hook = self.state.tokens.add_webhook(user_id, scope)
        return f"{self.client_endpoint}{hook.user_id}/{hook.secret}/"

    def set_crm_role(self, user_id: int, role: str) -> None:
        """Give a user a preset CRM role on every entity: all, reader, own or none."""
        read, write = PRESETS[role]
        with self.state.lock:
            for entity in ENTITY_TYPES:
                self.state.crm_roles.assign(user_id, entity, read, write)

    def frame_fields(
        self,
        placement: str = "DEFAULT",
        options: dict[str, Any] | None = None,
        user_id: int = 1,
        lang: str = "ru",
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Return (query, form body) of the frame POST the portal sends to the app."""
        return self.state.frame_fields(placement, options, user_id, lang)
