"""Browser fixtures: Debian's Chromium driven by Playwright, the emulator's CRM
card pages over real HTTP, and the app served by the live_server fixture.

The app is addressed as `localhost` and the portal as `127.0.0.1`, so the app
frame is cross-site, as it is under a real portal.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from web.support import (  # noqa: F401
    Mirror,
    install_portal,
    reset_emulator,
    seed_mirror,
    shared_emulator,
)

from b24app.emulator.state import Placement
from b24app.emulator.testing import EmulatorServer
from b24app.emulator.ui import UI_KEY
from b24app.portals.manifest import load_manifest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Chromium's switch that turns on the third-party cookie phase-out for testing.
BLOCK_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"


@pytest.fixture(scope="session")
def playwright_driver():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


def launch(driver, block_cookies: bool = False):
    args = CHROMIUM_ARGS + ([BLOCK_THIRD_PARTY_COOKIES] if block_cookies else [])
    return driver.chromium.launch(executable_path=str(CHROMIUM), args=args)


@pytest.fixture(scope="session")
def browser(playwright_driver):
    instance = launch(playwright_driver)
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def cookie_blocking_browser(playwright_driver):
    instance = launch(playwright_driver, block_cookies=True)
    yield instance
    instance.close()


@pytest.fixture
def portal(app, live_server, shared_emulator) -> Iterator[EmulatorServer]:  # noqa: F811
    """The emulator with the app's placements bound to the live server."""
    server = shared_emulator
    reset_emulator(server)
    app_url = live_server.url.replace("127.0.0.1", "localhost")
    app.config["B24_PORTAL_DOMAINS"] = server.domain
    app.config["B24_BX24_JS_URL"] = f"{server.base_url}/api/v1/"

    manifest = load_manifest()
    with server.state.lock:
        for spec in manifest.placements:
            server.state.app.placements.append(
                Placement(
                    placement=spec.placement,
                    handler=app_url + spec.handler,
                    title=spec.title["en"],
                    description="",
                    group_name="",
                    options={},
                    lang_all={
                        code: {"TITLE": text} for code, text in spec.title.items()
                    },
                )
            )
    server.app.extensions[UI_KEY].app_page_url = app_url + manifest.handlers["app"]
    yield server
    server.app.extensions[UI_KEY].app_page_url = None


@pytest.fixture
def mirror(app, portal) -> Mirror:
    return seed_mirror(portal, install_portal(portal))


@pytest.fixture
def showcase_mirror(app, portal) -> Mirror:
    """Program rows with ordinary names, for the screenshots in docs/."""
    return seed_mirror(portal, install_portal(portal), title="Python-разработчик")
