"""CRM card tabs in a real Chromium: the emulator's card page posts the frame
form into an iframe, the app verifies it and renders the tab from its mirror.
"""

import os
import tempfile
from pathlib import Path

import pytest

from b24app.emulator.ui import UI_KEY

pytestmark = pytest.mark.browser

# Screenshots refresh the ones in docs/ only on request (UPDATE_SCREENSHOTS=1),
# so a test run leaves the working tree clean.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "b24app-screenshots"
)
TAB_CODES = {
    "deal": "CRM_DEAL_DETAIL_TAB",
    "contact": "CRM_CONTACT_DETAIL_TAB",
    "company": "CRM_COMPANY_DETAIL_TAB",
}
# What each tab shows once rendered, by entity.
TAB_MARKERS = {
    "deal": "[data-internship-title]",
    "contact": "[data-student-name]",
    "company": "[data-organization]",
}


def record_id(mirror, entity: str) -> int:
    return {
        "deal": mirror.deal_id,
        "contact": mirror.contact_id,
        "company": mirror.university_company_id,
    }[entity]


def open_card(page, portal, entity, record, lang="ru", user=1):
    url = (
        f"{portal.base_url}/crm/{entity}/details/{record}/"
        f"?tab={TAB_CODES[entity]}&lang={lang}&user={user}"
    )
    page.goto(url)
    frame = page.frame_locator("iframe.frame").first
    frame.locator(TAB_MARKERS[entity]).wait_for(timeout=15_000)
    return frame


def frame_calls(portal, command):
    return portal.app.extensions[UI_KEY].commands(command)


def wait_for_call(page, portal, command, seconds=5.0):
    """Return the recorded calls of `command`, waiting until there is one."""
    for _ in range(int(seconds * 10)):
        calls = frame_calls(portal, command)
        if calls:
            return calls
        page.wait_for_timeout(100)
    return []


@pytest.mark.parametrize("lang", ["ru", "en"])
@pytest.mark.parametrize("entity", ["deal", "contact", "company"])
def test_card_tab_renders_in_iframe(browser, portal, showcase_mirror, entity, lang):
    page = browser.new_page(viewport={"width": 900, "height": 700})

    frame = open_card(page, portal, entity, record_id(showcase_mirror, entity), lang)

    assert frame.locator("html").get_attribute("lang") == lang
    page.wait_for_function("document.querySelector('iframe.frame').offsetHeight > 200")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{entity}-tab-{lang}.png"), full_page=True)
    assert wait_for_call(page, portal, "fitWindow"), "the tab never called fitWindow"
    page.close()


def test_deal_title_xss_is_text_in_browser(browser, portal, mirror):
    page = browser.new_page()
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))

    frame = open_card(page, portal, "deal", mirror.deal_id)

    title = frame.locator("[data-internship-title]").inner_text()
    assert title == "<img src=x onerror=alert(1)>"
    assert frame.locator("img").count() == 0
    assert alerts == []
    page.close()


def test_tabs_work_with_third_party_cookies_blocked(
    cookie_blocking_browser, portal, mirror
):
    context = cookie_blocking_browser.new_context()
    page = context.new_page()

    for entity in ("deal", "contact", "company"):
        open_card(page, portal, entity, record_id(mirror, entity))

    page.goto(f"{portal.base_url}/marketplace/app/7/?lang=en")
    frame = page.frame_locator("iframe.frame").first
    frame.locator("input.search").fill("Анна")
    frame.locator(f'[data-student="{mirror.student.id}"]').wait_for(timeout=10_000)

    app_frame = next(f for f in page.frames if "/b24/app" in f.url)
    stored = app_frame.evaluate(
        "() => { document.cookie = 'probe=1; SameSite=None'; return document.cookie; }"
    )
    assert "probe" not in stored
    context.close()


def test_expired_session_renews_through_refresh_auth(browser, portal, mirror):
    page = browser.new_page()
    page.goto(f"{portal.base_url}/marketplace/app/7/?lang=ru")
    page.frame_locator("iframe.frame").first.locator("input.search").wait_for()
    app_frame = next(f for f in page.frames if "/b24/app" in f.url)
    app_frame.locator("body[data-bx24-ready='1']").wait_for()

    # Spoil the session token, as if it had expired; the next search gets 401.
    app_frame.evaluate(
        """() => {
            const headers = JSON.parse(document.body.getAttribute('hx-headers'));
            for (const name in headers) headers[name] = 'expired.token.value';
            document.body.setAttribute('hx-headers', JSON.stringify(headers));
        }"""
    )
    app_frame.locator("input.search").fill("Анна")

    app_frame.locator("body[data-session-renewed='1']").wait_for(timeout=10_000)
    app_frame.locator(f'[data-student="{mirror.student.id}"]').wait_for(timeout=10_000)
    assert frame_calls(portal, "refreshAuth")
    page.close()


def test_old_token_renewed_before_form_post(browser, portal, mirror):
    page = browser.new_page()
    page.goto(f"{portal.base_url}/marketplace/app/7/?lang=ru")
    page.frame_locator("iframe.frame").first.locator("input.search").wait_for()
    app_frame = next(f for f in page.frames if "/b24/app" in f.url)
    app_frame.locator("body[data-bx24-ready='1']").wait_for()

    # A plain download form whose token has expired, on a page open for an hour.
    with page.expect_download(timeout=10_000) as download:
        app_frame.evaluate(
            """() => {
                const form = document.createElement('form');
                form.method = 'post';
                form.action = '/analytics/dashboard/export.csv';
                form.innerHTML = '<input type="hidden" name="_session" '
                    + 'value="expired.token.value"><button>Go</button>';
                document.body.append(form);
                document.body.dataset.sessionIssuedAt = String(Date.now() - 3600e3);
                form.querySelector('button').click();
            }"""
        )

    assert download.value.suggested_filename.endswith(".csv")
    assert frame_calls(portal, "refreshAuth")
    page.close()


def test_bx24_stand_in_records_calls(browser, portal, mirror):
    page = browser.new_page()
    open_card(page, portal, "deal", mirror.deal_id)
    app_frame = next(f for f in page.frames if "/b24/placement/deal" in f.url)
    app_frame.locator("body[data-bx24-ready='1']").wait_for()

    info = app_frame.evaluate("BX24.placement.info()")
    admin = app_frame.evaluate("BX24.isAdmin()")
    lang = app_frame.evaluate("BX24.getLang()")
    app_frame.evaluate(
        """() => new Promise(done => BX24.placement.call('reloadData', {}, done))"""
    )
    app_frame.evaluate(
        """() => new Promise(done => BX24.openPath('/crm/contact/details/1/', done))"""
    )
    app_frame.evaluate("() => new Promise(done => BX24.resizeWindow(600, 480, done))")

    assert info == {
        "placement": "CRM_DEAL_DETAIL_TAB",
        "options": {
            "ID": str(mirror.deal_id),
            "URI": f"/crm/deal/details/{mirror.deal_id}/",
        },
    }
    assert admin is True
    assert lang == "ru"
    assert frame_calls(portal, "reloadData")
    assert frame_calls(portal, "openPath")[0].params == {
        "path": "/crm/contact/details/1/"
    }
    assert frame_calls(portal, "resizeWindow")[0].params["height"] == 480
    page.close()


def test_non_admin_sees_rules_read_only(browser, portal, mirror):
    page = browser.new_page()
    page.goto(f"{portal.base_url}/marketplace/app/7/?user=2&lang=en")
    frame = page.frame_locator("iframe.frame").first
    frame.locator("[data-section-link='rules']").click()
    frame.locator(f'[data-rule="{mirror.rule.id}"]').wait_for()

    assert frame.locator(f'[data-rule="{mirror.rule.id}"] button').count() == 0
    page.close()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_app_page_renders(browser, portal, showcase_mirror, lang):
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.goto(f"{portal.base_url}/marketplace/app/7/?lang={lang}")
    frame = page.frame_locator("iframe.frame").first

    frame.locator(f'[data-student="{showcase_mirror.student.id}"]').wait_for()

    assert frame.locator("[data-stat='students'] b").inner_text() == "1"
    page.wait_for_function("document.querySelector('iframe.frame').offsetHeight > 200")
    page.screenshot(path=str(SCREENSHOTS / f"app-page-{lang}.png"), full_page=True)
    page.close()


def test_apply_from_contact_tab_reloads_card(browser, portal, mirror):
    from web.support import add_open_internship

    internship = add_open_internship(mirror, "Аналитик данных")
    page = browser.new_page()
    frame = open_card(page, portal, "contact", mirror.contact_id)

    frame.locator("select[name='internship_id']").select_option(str(internship.id))
    frame.locator("form.apply button").click()

    frame.locator("[data-outcome='routed']").wait_for(timeout=10_000)
    assert frame.locator("[data-pending]").count() == 1
    assert wait_for_call(page, portal, "reloadData"), "the card was not reloaded"
    page.close()


def test_company_tab_draws_charts(browser, portal, showcase_mirror):
    page = browser.new_page(viewport={"width": 900, "height": 700})

    frame = open_card(page, portal, "company", showcase_mirror.university_company_id)
    canvas = frame.locator("figure[data-chart] canvas[data-drawn='1']").first
    canvas.wait_for(timeout=15_000)
    box = canvas.bounding_box()

    assert box is not None
    assert 0 < box["height"] <= 300
    page.close()


def test_dashboard_draws_charts_and_exports(browser, portal, showcase_mirror):
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{portal.base_url}/marketplace/app/7/?lang=en")
    page.frame_locator("iframe.frame").first.locator("[data-analytics-link]").click()
    app_frame = next(f for f in page.frames if "/b24/app" in f.url)

    canvases = app_frame.locator("figure[data-chart] canvas[data-drawn='1']")
    canvases.first.wait_for(timeout=15_000)
    heights = [
        canvases.nth(n).bounding_box()["height"] for n in range(canvases.count())
    ]
    funnel_table = app_frame.locator("figure[data-chart] table").first
    with page.expect_download(timeout=10_000) as download:
        app_frame.locator(
            "form[action$='/analytics/dashboard/export.xlsx'] button"
        ).click()

    assert canvases.count() >= 3
    assert all(0 < height <= 300 for height in heights)
    assert funnel_table.locator("tbody tr").count() >= 1
    assert download.value.suggested_filename.endswith(".xlsx")
    page.close()
