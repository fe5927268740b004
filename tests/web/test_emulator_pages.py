"""The emulator's browser pages: CRM card, app page, BX24 stand-in, call log."""

import pytest

from b24app.emulator import create_app
from b24app.emulator.state import Placement
from b24app.emulator.ui import UI_KEY

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def emulator():
    app = create_app({"APP_URL": "http://app.test/b24/app"})
    state = app.extensions["b24emulator"]
    with state.lock:
        state.app.installed = True
        state.app.placements.append(
            Placement(
                placement="CRM_DEAL_DETAIL_TAB",
                handler="http://app.test/b24/placement/deal",
                title="Internship",
                description="",
                group_name="",
                options={},
                lang_all={"ru": {"TITLE": "Стажировка"}},
            )
        )
        deal_id = state.crm.add("deal", {"TITLE": XSS}, 1)
    return app, state, deal_id


def test_card_escapes_fields_and_lists_tab(emulator):
    app, _, deal_id = emulator

    page = app.test_client().get(f"/crm/deal/details/{deal_id}/?lang=ru")

    assert page.status_code == 200
    assert XSS not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert ">Стажировка</button>" in page.text
    assert 'action="http://app.test/b24/placement/deal?DOMAIN=' in page.text
    assert 'name="PLACEMENT" value="CRM_DEAL_DETAIL_TAB"' in page.text
    assert (
        f'name="PLACEMENT_OPTIONS" value="{{&#34;ID&#34;:&#34;{deal_id}&#34;,'
        in page.text
    )


def test_card_frame_fields_follow_user_and_lang(emulator):
    app, state, deal_id = emulator

    page = app.test_client().get(f"/crm/deal/details/{deal_id}/?user=2&lang=en")

    assert "LANG=en" in page.text
    assert "&#34;IS_ADMIN&#34;: false" in page.text
    assert "&#34;USER_ID&#34;: 2" in page.text


@pytest.mark.parametrize("path", ["/crm/deal/details/999/", "/crm/lead/details/1/"])
def test_card_unknown_record_is_404(emulator, path):
    app, _, _ = emulator

    assert app.test_client().get(path).status_code == 404


def test_unknown_user_is_404(emulator):
    app, _, deal_id = emulator

    response = app.test_client().get(f"/crm/deal/details/{deal_id}/?user=77")

    assert response.status_code == 404


def test_app_page_posts_default_placement(emulator):
    app, _, _ = emulator

    page = app.test_client().get("/marketplace/app/7/")

    assert page.status_code == 200
    assert 'action="http://app.test/b24/app?DOMAIN=' in page.text
    assert 'name="PLACEMENT" value="DEFAULT"' in page.text


def test_bx24_stand_in_served(emulator):
    app, _, _ = emulator

    script = app.test_client().get("/api/v1/")

    assert script.status_code == 200
    assert script.mimetype == "application/javascript"
    assert b"installFinish" in script.data


def test_install_finish_call_marks_app_installed(emulator):
    app, state, _ = emulator
    state.app.installed = False

    response = app.test_client().post(
        "/ui/calls", json={"command": "installFinish", "user_id": 1}
    )

    assert response.status_code == 200
    assert state.app.installed is True
    assert app.extensions[UI_KEY].commands("installFinish")


def test_refresh_auth_issues_working_token(emulator):
    app, _, _ = emulator
    client = app.test_client()

    auth = client.post("/ui/refresh-auth", json={"user_id": 2}).get_json()
    user = client.post("/rest/user.current.json", data={"auth": auth["AUTH_ID"]})
    admin = client.post("/rest/user.admin.json", data={"auth": auth["AUTH_ID"]})

    assert user.get_json()["result"]["ID"] == "2"
    assert admin.get_json()["result"] is False


def test_install_page_posts_to_install_url(emulator):
    app, state, _ = emulator
    state.config["INSTALL_URL"] = "http://app.test/b24/install"

    page = app.test_client().get("/marketplace/app/7/install/?lang=en")

    assert page.status_code == 200
    assert 'action="http://app.test/b24/install?DOMAIN=' in page.text
    assert 'data-mode="install"' in page.text
