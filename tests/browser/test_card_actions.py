"""Card actions in a real Chromium: stage moves reach the emulator's CRM, apply
from the contact tab, the routing rule editor for admins and its refusal for
other users, each also with third-party cookies blocked.
"""

from pathlib import Path

import pytest
import requests
from rq import Queue, SimpleWorker
from web.support import add_open_internship, seed_mirror

from b24app.extensions import db
from b24app.jobs import QUEUE_NAMES, get_jobs
from b24app.program.models import Application, CrmMapping, RoutingRule
from b24app.tenancy.models import Portal

from .test_card_tabs import SCREENSHOTS, frame_calls, open_card, wait_for_call

pytestmark = pytest.mark.browser

BROWSERS = ["browser", "cookie_blocking_browser"]


def run_jobs(app, queues=QUEUE_NAMES) -> None:
    """Run the queued jobs in this process with an RQ burst worker."""
    redis = get_jobs(app).redis
    SimpleWorker(
        [Queue(name, connection=redis) for name in queues], connection=redis
    ).work(burst=True)
    db.session.expire_all()


@pytest.fixture
def installed(app, live_server, portal):
    """A portal installed through the app's install handler, with its CRM setup.

    The install stores OAuth tokens and runs the CRM setup step, so the outbox
    can write to the emulator. The first full sync runs before any rows exist.
    """
    app.config["B24_OAUTH_SERVERS"] = portal.base_url + "/"
    app.extensions.pop("b24app.clients", None)
    query, body = portal.frame_fields()
    response = requests.post(
        live_server.url + "/b24/install", params=query, data=body, timeout=30
    )
    assert response.status_code == 200, response.text
    portal.install_app()
    assert portal.state.events.wait_idle(10)
    run_jobs(app)

    row = db.session.execute(
        db.select(Portal).where(Portal.member_id == portal.state.member_id)
    ).scalar_one()
    return row


@pytest.fixture
def crm_mirror(app, portal, installed):
    """Program rows whose application deal sits in the Applications pipeline."""
    mirror = seed_mirror(portal, installed, title="Python-разработчик")
    mapping = db.session.execute(
        db.select(CrmMapping).where(CrmMapping.portal_id == installed.id)
    ).scalar_one()
    with portal.state.lock:
        row = portal.state.crm.tables["deal"].rows[mirror.application_deal_id]
        row["CATEGORY_ID"] = mapping.applications_category_id
        row["STAGE_ID"] = mapping.application_stage_ids["screening"]
    return mirror, mapping


def crm_stage(portal, deal_id: int) -> str:
    with portal.state.lock:
        return portal.state.crm.tables["deal"].rows[deal_id]["STAGE_ID"]


@pytest.mark.parametrize("browser_name", BROWSERS)
def test_stage_move_reaches_emulator_crm(
    request, app, portal, crm_mirror, browser_name
):
    mirror, mapping = crm_mirror
    application = db.session.execute(db.select(Application)).scalar_one()
    context = request.getfixturevalue(browser_name).new_context()
    page = context.new_page()
    frame = open_card(page, portal, "deal", mirror.deal_id)

    row = frame.locator(f'[data-application="{application.id}"]')
    row.locator("select[name='stage']").select_option("interview")
    row.locator("[data-action='stage']").click()
    frame.locator(
        f'[data-application="{application.id}"] [data-stage="interview"]'
    ).wait_for(timeout=10_000)
    assert frame.locator("[data-pending]").count() == 1
    assert wait_for_call(page, portal, "reloadData"), "the card was not reloaded"

    run_jobs(app, ["crm"])

    expected = mapping.application_stage_ids["interview"]
    assert crm_stage(portal, mirror.application_deal_id) == expected
    page.goto(f"{portal.base_url}/crm/deal/details/{mirror.application_deal_id}/")
    assert expected in page.content()
    context.close()


@pytest.mark.parametrize("browser_name", BROWSERS)
def test_apply_from_recommendation(request, portal, mirror, browser_name):
    internship = add_open_internship(mirror, "Аналитик данных")
    context = request.getfixturevalue(browser_name).new_context()
    page = context.new_page()
    frame = open_card(page, portal, "contact", mirror.contact_id)

    frame.locator(f"[data-apply='{internship.id}']").click()

    frame.locator("[data-outcome='routed']").wait_for(timeout=10_000)
    assert frame.locator(f"[data-apply='{internship.id}']").count() == 0
    assert wait_for_call(page, portal, "reloadData"), "the card was not reloaded"
    context.close()


def open_rules(page, portal, user: int):
    page.goto(f"{portal.base_url}/marketplace/app/7/?user={user}&lang=en")
    app_frame = page.frame_locator("iframe.frame").first
    app_frame.locator("[data-section-link='rules']").click()
    app_frame.locator("[data-section='rules']").wait_for(timeout=10_000)
    return app_frame


@pytest.mark.parametrize("browser_name", BROWSERS)
def test_admin_edits_routing_rule(request, portal, mirror, browser_name):
    context = request.getfixturevalue(browser_name).new_context()
    page = context.new_page()
    frame = open_rules(page, portal, user=1)

    frame.locator(f"[data-edit-rule='{mirror.rule.id}']").click()
    form = frame.locator(f"[data-rule-form='{mirror.rule.id}']")
    form.locator("input[name='name']").fill("Сильные кандидаты")
    form.locator("input[name='score_min']").fill("0.7")
    form.locator("[data-save-rule]").click()

    frame.locator(
        f"[data-rule='{mirror.rule.id}'] [data-rule-name]:has-text('Сильные кандидаты')"
    ).wait_for(timeout=10_000)
    rule = db.session.get(RoutingRule, mirror.rule.id)
    db.session.refresh(rule)
    assert rule.name == "Сильные кандидаты"
    assert rule.conditions == {"score_min": 0.7}
    context.close()


@pytest.mark.parametrize("browser_name", BROWSERS)
def test_non_admin_refused(request, portal, mirror, browser_name):
    context = request.getfixturevalue(browser_name).new_context()
    page = context.new_page()
    frame = open_rules(page, portal, user=2)

    assert frame.locator("[data-section-link='settings']").count() == 0
    assert frame.locator("[data-edit-rule]").count() == 0
    app_frame = next(f for f in page.frames if "/b24/app" in f.url)
    status = app_frame.evaluate(
        """async (url) => {
            const headers = JSON.parse(document.body.getAttribute('hx-headers'));
            const response = await fetch(url, {
                method: 'POST', headers, body: new URLSearchParams({name: 'x'}),
            });
            return response.status;
        }""",
        f"/b24/app/rules/{mirror.rule.id}",
    )
    assert status == 403
    db.session.refresh(mirror.rule)
    assert mirror.rule.name == "Вузы-партнёры"
    context.close()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_more_tab_screenshots(browser, portal, showcase_mirror, lang):
    page = browser.new_page(viewport={"width": 900, "height": 700})
    shots = [
        (
            "deal",
            showcase_mirror.application_deal_id,
            "[data-application-title]",
            "deal-application-tab",
        ),
        (
            "company",
            showcase_mirror.employer_company_id,
            "[data-organization]",
            "company-employer-tab",
        ),
    ]
    for entity, record, marker, name in shots:
        page.goto(
            f"{portal.base_url}/crm/{entity}/details/{record}/"
            f"?tab=CRM_{entity.upper()}_DETAIL_TAB&lang={lang}"
        )
        page.frame_locator("iframe.frame").first.locator(marker).wait_for()
        page.wait_for_function(
            "document.querySelector('iframe.frame').offsetHeight > 200"
        )
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}.png"), full_page=True)
        assert Path(SCREENSHOTS / f"{name}-{lang}.png").stat().st_size > 0

    page.goto(f"{portal.base_url}/marketplace/app/7/?lang={lang}")
    frame = page.frame_locator("iframe.frame").first
    frame.locator("[data-section-link='rules']").click()
    frame.locator("[data-section='rules']").wait_for()
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / f"app-rules-{lang}.png"), full_page=True)
    assert frame_calls(portal, "fitWindow")
    page.close()
