"""Hostile install page POSTs against an emulated portal, over real HTTP."""

import pytest
import requests
from portals.support import install, install_url, load_portal, post_install

from b24app.tenancy.store import token_cipher

NON_ADMIN_USER_ID = 2


def stored_tokens(portal) -> tuple[str, str]:
    cipher = token_cipher()
    return (
        cipher.decrypt(portal.access_token_encrypted),
        cipher.decrypt(portal.refresh_token_encrypted),
    )


def test_non_admin_install_post_keeps_tokens(app, live_server, portal_server):
    portal = install(app, live_server, portal_server)
    before = stored_tokens(portal)
    query, body = portal_server.frame_fields(user_id=NON_ADMIN_USER_ID)
    body["REFRESH_ID"] = "not-a-refresh-token"

    requests.post(install_url(live_server), params=query, data=body, timeout=30)

    after = stored_tokens(load_portal(portal_server.state.member_id))
    assert after[1] == before[1]
    assert after[0] == before[0]


@pytest.mark.parametrize("auth_expires", ["9" * 30, "²"])
def test_install_odd_auth_expires_not_500(
    app, live_server, portal_server, auth_expires
):
    response = post_install(live_server, portal_server, AUTH_EXPIRES=auth_expires)

    assert response.status_code < 500


def test_install_nul_in_lang_not_500(app, live_server, portal_server):
    response = post_install(live_server, portal_server, LANG="r\x00u")

    assert response.status_code < 500
