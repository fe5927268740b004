"""Install and REST calls over HTTPS with the certificate verified.

The emulator serves TLS with a CA it generates, and the app trusts that CA only
through B24_CA_BUNDLE, as it would trust a portal's CA in production. Loopback
hosts still need B24_ALLOW_INSECURE_PORTALS, which does not turn off
certificate checks.
"""

import pytest

from b24app.emulator.testing import EmulatorServer
from b24app.tenancy.clients import client_for
from portals.support import allow_emulators, load_portal, post_install


@pytest.fixture
def tls_server(app, app_config):
    server = EmulatorServer(
        {
            "CLIENT_ID": app_config["B24_CLIENT_ID"],
            "CLIENT_SECRET": app_config["B24_CLIENT_SECRET"],
            "SCOPES": "crm,placement,user_brief",
        },
        tls=True,
    ).start()
    allow_emulators(app, server)
    yield server
    server.stop()


def test_install_over_https_with_ca_bundle(app, live_server, tls_server):
    app.config["B24_CA_BUNDLE"] = tls_server.ca_bundle

    response = post_install(live_server, tls_server)

    assert response.status_code == 200, response.text
    portal = load_portal(tls_server.state.member_id)
    assert portal is not None
    assert portal.client_endpoint.startswith("https://")
    current = client_for(portal).call("user.current")
    assert current.result["ID"] == "1"


def test_install_refused_when_certificate_untrusted(app, live_server, tls_server):
    app.config["B24_CA_BUNDLE"] = None

    response = post_install(live_server, tls_server)

    assert response.status_code != 200
    assert "installFinish" not in response.text
    assert load_portal(tls_server.state.member_id) is None
