"""Fixtures for web-layer tests: an emulated portal installed in the app."""

import pytest

from b24app.emulator.testing import EmulatorServer

from .support import (  # noqa: F401
    Mirror,
    install_portal,
    reset_emulator,
    seed_mirror,
    shared_emulator,
)


@pytest.fixture
def portal_server(app, shared_emulator) -> EmulatorServer:  # noqa: F811
    reset_emulator(shared_emulator)
    app.config["B24_PORTAL_DOMAINS"] = shared_emulator.domain
    app.config["B24_OAUTH_SERVERS"] = shared_emulator.base_url + "/"
    return shared_emulator


@pytest.fixture
def mirror(app, portal_server) -> Mirror:
    return seed_mirror(portal_server, install_portal(portal_server))
