"""OAuth server: token grants, single-use refresh tokens, expiry and app.info."""

from __future__ import annotations

import requests

from b24app.emulator.testing import EmulatorServer


def _refresh(
    emulator: EmulatorServer, token: str, secret: str | None = None
) -> requests.Response:
    config = emulator.state.config
    return requests.get(
        emulator.oauth_token_url,
        params={
            "grant_type": "refresh_token",
            "client_id": config["CLIENT_ID"],
            "client_secret": secret or config["CLIENT_SECRET"],
            "refresh_token": token,
        },
        timeout=10,
    )


def test_install_fields(emulator: EmulatorServer, auth) -> None:
    assert auth["member_id"] == emulator.state.member_id
    assert auth["domain"] == emulator.domain
    assert auth["client_endpoint"] == emulator.client_endpoint
    assert auth["server_endpoint"] == emulator.server_endpoint
    assert auth["expires_in"] == 3600
    assert auth["application_token"]


def test_refresh_rotates_and_old_token_fails(emulator: EmulatorServer, auth) -> None:
    first = _refresh(emulator, auth["refresh_token"])
    assert first.status_code == 200
    fields = first.json()
    assert fields["refresh_token"] != auth["refresh_token"]
    assert fields["domain"] == emulator.state.oauth_domain
    assert fields["client_endpoint"] == emulator.client_endpoint
    reused = _refresh(emulator, auth["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_refresh_by_form_post(emulator: EmulatorServer, auth) -> None:
    config = emulator.state.config
    response = requests.post(
        emulator.oauth_token_url,
        data={
            "grant_type": "refresh_token",
            "client_id": config["CLIENT_ID"],
            "client_secret": config["CLIENT_SECRET"],
            "refresh_token": auth["refresh_token"],
        },
        timeout=10,
    )
    assert response.json()["access_token"]


def test_wrong_client_is_http_200(emulator: EmulatorServer, auth) -> None:
    response = requests.get(
        emulator.oauth_token_url,
        params={
            "grant_type": "refresh_token",
            "client_id": "local.0000000000000f.00000000",
            "client_secret": "x",
            "refresh_token": auth["refresh_token"],
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["error"] == "wrong_client"


def test_bad_secret_is_invalid_client(emulator: EmulatorServer, auth) -> None:
    response = _refresh(emulator, auth["refresh_token"], secret="wrong")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_authorization_code_grant(emulator: EmulatorServer) -> None:
    with emulator.state.lock:
        code = emulator.state.tokens.issue_code(1)
    config = emulator.state.config
    response = requests.get(
        emulator.oauth_token_url,
        params={
            "grant_type": "authorization_code",
            "client_id": config["CLIENT_ID"],
            "client_secret": config["CLIENT_SECRET"],
            "code": code,
        },
        timeout=10,
    )
    assert response.json()["user_id"] == 1
    again = requests.get(
        emulator.oauth_token_url,
        params={
            "grant_type": "authorization_code",
            "client_id": config["CLIENT_ID"],
            "client_secret": config["CLIENT_SECRET"],
            "code": code,
        },
        timeout=10,
    )
    assert again.json()["error"] == "invalid_grant"


def test_expired_token_is_401(emulator: EmulatorServer, rest) -> None:
    requests.post(f"{emulator.base_url}/_emulator/tokens/expire", timeout=10)
    response = rest.call("user.current")
    assert response.status_code == 401
    assert response.json() == {
        "error": "expired_token",
        "error_description": "The access token provided has expired.",
    }


def test_unknown_token_and_missing_auth(emulator: EmulatorServer) -> None:
    unknown = requests.get(
        f"{emulator.client_endpoint}user.current", params={"auth": "nope"}, timeout=10
    )
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_token"
    missing = requests.get(f"{emulator.client_endpoint}user.current", timeout=10)
    assert missing.json()["error"] == "NO_AUTH_FOUND"


def test_app_info_on_server_endpoint(emulator: EmulatorServer, auth) -> None:
    info = requests.get(
        f"{auth['server_endpoint']}app.info",
        params={"auth": auth["access_token"]},
        timeout=10,
    ).json()["result"]
    assert info["client_id"] == emulator.state.config["CLIENT_ID"]
    assert info["install"]["member_id"] == auth["member_id"]
    assert info["install"]["client_endpoint"] == emulator.client_endpoint
    assert info["INSTALLED"] is True
    assert info["CODE"] == emulator.state.config["CLIENT_ID"]


def test_frame_fields(emulator: EmulatorServer, auth) -> None:
    query, body = emulator.frame_fields("CRM_DEAL_DETAIL_TAB", {"ID": "7"})
    assert query["DOMAIN"] == emulator.domain
    assert query["PROTOCOL"] == "0"
    assert body["PLACEMENT_OPTIONS"] == '{"ID":"7"}'
    assert body["APPLICATION_TOKEN"] == auth["application_token"]
    assert body["member_id"] == auth["member_id"]
    me = requests.get(
        f"{emulator.client_endpoint}user.current",
        params={"auth": body["AUTH_ID"]},
        timeout=10,
    ).json()
    assert me["result"]["ID"] == "1"


def test_frame_before_install_has_no_application_token(
    emulator: EmulatorServer,
) -> None:
    _, body = emulator.frame_fields()
    assert "APPLICATION_TOKEN" not in body
    assert body["PLACEMENT"] == "DEFAULT"
