"""CRM permissions in a real Chromium: a user with own-only CRM rights is denied
a deal they are not responsible for and moves the stage of one they are.
"""

import pytest

from b24app.extensions import db
from b24app.program.models import Application

from .test_card_actions import (  # noqa: F401  (fixtures shared with those tests)
    BROWSERS,
    crm_mirror,
    crm_stage,
    installed,
    run_jobs,
)
from .test_card_tabs import TAB_CODES

pytestmark = pytest.mark.browser

OWN_ONLY_USER = 2


def assign_deal(portal, deal_id: int, user_id: int) -> None:
    with portal.state.lock:
        row = portal.state.crm.tables["deal"].rows[deal_id]
        row["ASSIGNED_BY_ID"] = str(user_id)


def open_deal_as(page, portal, deal_id: int, user: int):
    page.goto(
        f"{portal.base_url}/crm/deal/details/{deal_id}/"
        f"?tab={TAB_CODES['deal']}&lang=en&user={user}"
    )
    return page.frame_locator("iframe.frame").first


@pytest.mark.parametrize("browser_name", BROWSERS)
def test_own_only_user_denied_other_deal(
    request,
    portal,
    crm_mirror,  # noqa: F811
    browser_name,
):
    mirror, _ = crm_mirror
    portal.set_crm_role(OWN_ONLY_USER, "own")
    assign_deal(portal, mirror.deal_id, 3)
    context = request.getfixturevalue(browser_name).new_context()
    page = context.new_page()

    frame = open_deal_as(page, portal, mirror.deal_id, OWN_ONLY_USER)

    frame.locator("[data-message='crm_forbidden']").wait_for(timeout=15_000)
    assert frame.locator("[data-application]").count() == 0
    assert frame.locator("[data-action='stage']").count() == 0
    context.close()


@pytest.mark.parametrize("browser_name", BROWSERS)
def test_own_only_user_moves_own_deal(
    request,
    app,
    portal,
    crm_mirror,  # noqa: F811
    browser_name,
):
    mirror, mapping = crm_mirror
    portal.set_crm_role(OWN_ONLY_USER, "own")
    assign_deal(portal, mirror.application_deal_id, OWN_ONLY_USER)
    application = db.session.execute(db.select(Application)).scalar_one()
    context = request.getfixturevalue(browser_name).new_context()
    page = context.new_page()

    frame = open_deal_as(page, portal, mirror.application_deal_id, OWN_ONLY_USER)
    frame.locator("[data-application-title]").wait_for(timeout=15_000)
    actions = frame.locator(f"[data-actions='{application.id}']")
    actions.locator("select[name='stage']").select_option("interview")
    actions.locator("[data-action='stage']").click()
    frame.locator("[data-pending]").first.wait_for(timeout=10_000)

    run_jobs(app, ["crm"])

    db.session.refresh(application)
    assert application.stage == "interview"
    expected = mapping.application_stage_ids["interview"]
    assert crm_stage(portal, mirror.application_deal_id) == expected
    context.close()
