"""Fixtures and helpers for install and event tests: emulated portals, the app
served over HTTP, installs and event posts.

Imported by the conftest files of tests/portals and tests/events.
"""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from rq import SimpleWorker

from b24app.emulator.testing import EmulatorServer
from b24app.extensions import db
from b24app.jobs import QUEUE_NAMES, get_jobs
from b24app.tenancy.crypto import digest_secret
from b24app.tenancy.models import Portal, PortalState, utcnow

FIRST_MEMBER_ID = "0123456789abcdef0123456789abcdef"
FIRST_APPLICATION_TOKEN = "fedcba9876543210fedcba9876543210"
SECOND_MEMBER_ID = "fedcba9876543210fedcba9876543210"
SECOND_APPLICATION_TOKEN = "00112233445566778899aabbccddeeff"


def start_emulator(app_config: dict, **config: Any) -> EmulatorServer:
    settings = {
        "CLIENT_ID": app_config["B24_CLIENT_ID"],
        "CLIENT_SECRET": app_config["B24_CLIENT_SECRET"],
        "SCOPES": "crm,placement,user_brief",
        **config,
    }
    return EmulatorServer(settings).start()


def allow_emulators(app, *servers: EmulatorServer) -> None:
    """Put the emulators on the host allow-lists, as an operator would."""
    app.config["B24_PORTAL_DOMAINS"] = ",".join(s.domain for s in servers)
    app.config["B24_OAUTH_SERVERS"] = ",".join(s.base_url + "/" for s in servers)
    app.extensions.pop("b24app.clients", None)


# The emulators live for a module and are reset before each test: starting and
# stopping their listeners costs about a second per test.
@pytest.fixture(scope="module")
def first_emulator(app_config) -> Iterator[EmulatorServer]:
    server = start_emulator(app_config)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def second_emulator(app_config) -> Iterator[EmulatorServer]:
    server = start_emulator(
        app_config,
        MEMBER_ID=SECOND_MEMBER_ID,
        APPLICATION_TOKEN=SECOND_APPLICATION_TOKEN,
    )
    yield server
    server.stop()


def fresh(server: EmulatorServer) -> EmulatorServer:
    server.state.events.wait_idle(5)
    server.state.reset()
    return server


@pytest.fixture
def portal_server(app, first_emulator) -> EmulatorServer:
    """One emulated portal whose host and OAuth server the app allows."""
    allow_emulators(app, first_emulator)
    return fresh(first_emulator)


@pytest.fixture
def second_server(app, portal_server, second_emulator) -> EmulatorServer:
    """A second portal with its own member_id and application token."""
    allow_emulators(app, portal_server, second_emulator)
    return fresh(second_emulator)


def install_url(live_server) -> str:
    return live_server.url + "/b24/install"


def post_install(live_server, server: EmulatorServer, lang: str = "ru", **fields):
    """POST the emulator's install frame to the app over HTTP; return the response."""
    query, body = server.frame_fields(lang=lang)
    query.update({k: v for k, v in fields.items() if k in query})
    body.update({k: v for k, v in fields.items() if k not in query})
    return requests.post(install_url(live_server), params=query, data=body, timeout=30)


def install(app, live_server, server: EmulatorServer) -> Portal:
    """Install through the page, finish like Bitrix24 does, wait for ONAPPINSTALL."""
    response = post_install(live_server, server)
    assert response.status_code == 200, response.text
    server.install_app()
    assert server.state.events.wait_idle(10)
    run_jobs(app)
    return load_portal(server.state.member_id)


def load_portal(member_id: str) -> Portal | None:
    db.session.expire_all()
    return db.session.execute(
        db.select(Portal).where(Portal.member_id == member_id)
    ).scalar_one_or_none()


def run_jobs(app) -> None:
    """Run every queued job in this process with a burst worker."""
    redis = get_jobs(app).redis
    queues = [get_jobs(app).queue(name) for name in QUEUE_NAMES]
    SimpleWorker(queues, connection=redis).work(burst=True)
    db.session.expire_all()


def make_portal(
    member_id: str = FIRST_MEMBER_ID,
    application_token: str = FIRST_APPLICATION_TOKEN,
    domain: str = "portal.example.bitrix24.ru",
) -> Portal:
    """Insert an installed portal row directly, for intake tests without REST."""
    portal = Portal(
        member_id=member_id,
        domain=domain,
        client_endpoint=f"https://{domain}/rest/",
        server_endpoint="https://oauth.bitrix.info/rest/",
        scopes="crm,placement,user_brief",
        state=PortalState.ACTIVE,
        application_token_digest=digest_secret(application_token),
        installed_at=utcnow(),
        token_version=0,
    )
    db.session.add(portal)
    db.session.commit()
    return portal


def event_body(event: str, auth: dict[str, str], data: list[tuple[str, str]], **extra):
    """Encode an event the way Bitrix24 posts it: PHP bracket keys, form encoded."""
    pairs = [("event", event)]
    if "event_handler_id" in extra:
        pairs.append(("event_handler_id", extra["event_handler_id"]))
    pairs += [(f"data{key}", value) for key, value in data]
    pairs.append(("ts", extra.get("ts", "1767225600")))
    pairs += [(f"auth[{key}]", value) for key, value in auth.items()]
    return urlencode(pairs)


class Recorder:
    """A loopback HTTP server that counts every request it gets."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                recorder.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"result": {}}')

            do_GET = do_POST = _record  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.domain = f"127.0.0.1:{self.server.server_port}"
        self.url = f"http://{self.domain}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def attacker() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.stop()
