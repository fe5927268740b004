"""Bitrix24 portal emulator: one portal and its OAuth server over real HTTP.

This package is the other side of the wire and imports nothing else from b24app.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from . import admin, batch, oauth, rest, ui  # noqa: F401  (batch registers the method)
from .state import PortalState

__all__ = ["PortalState", "create_app"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the emulator app; its state is at `app.extensions["b24emulator"]`."""
    app = Flask(__name__)
    app.json.ensure_ascii = False
    app.extensions["b24emulator"] = PortalState(config)
    app.register_blueprint(oauth.bp)
    app.register_blueprint(rest.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(ui.bp)
    return app
