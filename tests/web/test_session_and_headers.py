"""Session tokens, admin-only actions, portal isolation and response headers."""

import re
import time
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from b24app.extensions import db
from b24app.web.htmx import HTMX_SCRIPT, HTMX_VERSION
from b24app.web.session import (
    SESSION_HEADER,
    SESSION_SALT,
    FrameSession,
    issue_session_token,
)

from .support import frame_post, install_portal

STATIC = Path(__file__).resolve().parents[2] / "static"


def open_app_page(client, server, user_id=1, lang="ru"):
    return frame_post(client, server, "/b24/app", "DEFAULT", user_id=user_id, lang=lang)


def session_token_from(response) -> str:
    match = re.search(r"hx-headers='(\{[^']*\})'", response.text)
    assert match, "the page has no hx-headers on <body>"
    return re.search(r'"X-B24App-Session": "([^"]+)"', match.group(1)).group(1)


def htmx_get(client, path, token):
    return client.get(path, headers={SESSION_HEADER: token, "HX-Request": "true"})


def test_page_carries_session_token(client, portal_server, mirror):
    response = open_app_page(client, portal_server)

    assert response.status_code == 200
    assert session_token_from(response)


def test_htmx_search_returns_fragment(client, portal_server, mirror):
    token = session_token_from(open_app_page(client, portal_server))

    response = htmx_get(client, "/b24/app/students?q=Анна", token)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'data-student="{mirror.student.id}"' in response.text


def test_missing_token_gets_401_and_reauth_trigger(client, mirror):
    response = client.get("/b24/app/students", headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert "b24app:reauth" in response.headers["HX-Trigger"]


def test_tampered_token_rejected(client, portal_server, mirror):
    token = session_token_from(open_app_page(client, portal_server))
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = htmx_get(client, "/b24/app/students", tampered)

    assert response.status_code == 401


def test_token_signed_with_other_key_rejected(client, app, mirror):
    forged = URLSafeTimedSerializer("another-key", salt=SESSION_SALT).dumps(
        {"p": mirror.portal.id, "u": 1, "a": True, "l": "ru"}
    )

    response = htmx_get(client, "/b24/app/students", forged)

    assert response.status_code == 401


def test_expired_token_rejected(client, app, mirror, monkeypatch):
    session = FrameSession(mirror.portal.id, 1, True, "ru")
    token = issue_session_token(session)
    # itsdangerous reads the clock through time.time; 16 minutes later it expired.
    import time as time_module

    real_time = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real_time() + 16 * 60)

    response = htmx_get(client, "/b24/app/students", token)

    assert response.status_code == 401


def test_non_admin_cannot_toggle_rule(client, portal_server, mirror):
    token = session_token_from(open_app_page(client, portal_server, user_id=2))

    response = client.post(
        f"/b24/app/rules/{mirror.rule.id}/active",
        data={"active": "0"},
        headers={SESSION_HEADER: token, "HX-Request": "true"},
    )

    assert response.status_code == 403
    db.session.refresh(mirror.rule)
    assert mirror.rule.active is True


def test_admin_toggles_rule(client, portal_server, mirror):
    token = session_token_from(open_app_page(client, portal_server, user_id=1))

    response = client.post(
        f"/b24/app/rules/{mirror.rule.id}/active",
        data={"active": "0"},
        headers={SESSION_HEADER: token, "HX-Request": "true"},
    )

    assert response.status_code == 200
    assert '<input type="hidden" name="active" value="1">' in response.text
    db.session.refresh(mirror.rule)
    assert mirror.rule.active is False


def test_mutation_without_token_rejected(client, mirror):
    response = client.post(
        f"/b24/app/rules/{mirror.rule.id}/active", data={"active": "0"}
    )

    assert response.status_code == 401


def test_other_portals_ids_not_shown(client, app, portal_server, mirror):
    other = install_portal(portal_server, member_id="1" * 32)
    session = FrameSession(other.id, 1, True, "ru")
    token = issue_session_token(session)

    response = htmx_get(client, "/b24/app/students?q=Анна", token)
    toggle = client.post(
        f"/b24/app/rules/{mirror.rule.id}/active",
        data={"active": "0"},
        headers={SESSION_HEADER: token},
    )

    assert response.status_code == 200
    assert f'data-student="{mirror.student.id}"' not in response.text
    assert toggle.status_code == 404


def test_csp_frames_only_the_portal(client, portal_server, mirror):
    response = open_app_page(client, portal_server)

    csp = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors {portal_server.base_url}" in csp
    assert "script-src 'self' https://api.bitrix24.com" in csp
    assert "X-Frame-Options" not in response.headers


def test_csp_of_rejected_frame_allows_no_unknown_host(client, portal_server, mirror):
    response = frame_post(
        client, portal_server, "/b24/app", "DEFAULT", AUTH_ID="forged-token-0000"
    )

    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_vary_on_hx_request(client, portal_server, mirror):
    response = open_app_page(client, portal_server)

    assert "HX-Request" in response.headers["Vary"]


def test_language_follows_frame_lang(client, portal_server, mirror):
    russian = open_app_page(client, portal_server, lang="ru")
    english = open_app_page(client, portal_server, lang="en")

    assert '<html lang="ru">' in russian.text
    assert "Программа стажировок" in russian.text
    assert '<html lang="en">' in english.text
    assert "Internship program" in english.text


def test_htmx_vendored_with_version():
    path = STATIC / HTMX_SCRIPT

    assert path.is_file()
    header = path.read_text(encoding="utf-8")[:200]
    assert f"htmx.org {HTMX_VERSION}" in header
    assert f'version:"{HTMX_VERSION}"' in path.read_text(encoding="utf-8")


def test_session_renewal_with_fresh_token(client, portal_server, mirror):
    auth = portal_server.state.token_fields(2)

    response = client.post(
        "/b24/session?LANG=en",
        data={
            "member_id": portal_server.state.member_id,
            "AUTH_ID": auth["access_token"],
        },
    )
    token = response.get_json()["token"]
    search = htmx_get(client, "/b24/app/students", token)

    assert response.status_code == 200
    assert search.status_code == 200
    assert f'data-student="{mirror.student.id}"' in search.text
    assert "<th>Email</th>" in search.text


def test_session_renewal_rejects_forged_token(client, portal_server, mirror):
    response = client.post(
        "/b24/session",
        data={"member_id": portal_server.state.member_id, "AUTH_ID": "forged-0000"},
    )

    assert response.status_code == 401
    assert "token" not in response.get_json()


def test_extra_frame_ancestors_setting(app, client, portal_server, mirror):
    app.config["B24_FRAME_ANCESTORS"] = "https://demo.example.test"

    response = open_app_page(client, portal_server)

    ancestors = response.headers["Content-Security-Policy"].split("frame-ancestors ")[1]
    assert ancestors == f"{portal_server.base_url} https://demo.example.test"


@pytest.mark.parametrize(
    ("lang", "title", "text"),
    [
        ("en", "Your session has expired", "Reopen the app in Bitrix24 to continue."),
        ("ru", "Ваш сеанс истёк", "Откройте приложение в Битрикс24 заново"),
    ],
)
def test_expired_form_post_gets_framable_message(
    app, client, mirror, monkeypatch, lang, title, text
):
    token = issue_session_token(FrameSession(mirror.portal.id, 1, True, lang))
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 16 * 60)

    response = client.post("/analytics/dashboard/export.csv", data={"_session": token})

    csp = response.headers["Content-Security-Policy"]
    ancestors = csp.split("frame-ancestors ")[1].split(";")[0].split()
    assert response.status_code == 401
    assert f"http://{app.config['B24_PORTAL_DOMAINS']}" in ancestors
    assert "https://*.bitrix24.ru" in ancestors
    assert "'none'" not in ancestors
    assert title in response.text
    assert text in response.text
