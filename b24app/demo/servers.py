"""Serve the emulator and the app in background threads of one process."""

import logging
import threading
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from b24app.emulator.testing import QuietRequestHandler
from b24app.portals.manifest import Manifest

log = logging.getLogger(__name__)


class BackgroundServer:
    """A threaded WSGI server on a fixed loopback port, stopped on demand."""

    def __init__(self, name: str, app: Flask, host: str, port: int) -> None:
        self.name = name
        self.server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=QuietRequestHandler
        )
        self.thread = threading.Thread(
            target=self.server.serve_forever, name=f"demo-{name}", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "BackgroundServer":
        self.thread.start()
        log.info("%s listening on %s", self.name, self.url)
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def emulator_settings(app_url: str, manifest: Manifest) -> dict[str, Any]:
    """Emulator config pointing the portal's app card at the app's handlers."""
    handlers = manifest.handlers
    return {
        "APP_URL": app_url + handlers["app"],
        "INSTALL_URL": app_url + handlers["install"],
        "SCOPES": ",".join(manifest.scopes),
    }


def app_settings(emulator_url: str, emulator_domain: str, app_url: str, state) -> dict:
    """App config that trusts exactly this emulator, as an operator would."""
    return {
        "B24_CLIENT_ID": state.config["CLIENT_ID"],
        "B24_CLIENT_SECRET": state.config["CLIENT_SECRET"],
        "B24_APP_URL": app_url,
        "B24_PORTAL_DOMAINS": emulator_domain,
        "B24_OAUTH_SERVERS": emulator_url + "/",
        "B24_ALLOW_INSECURE_PORTALS": True,
        "B24_BX24_JS_URL": emulator_url + "/api/v1/",
        # The demo runs jobs in this process so it needs nothing else running.
        "REDIS_URL": None,
    }
