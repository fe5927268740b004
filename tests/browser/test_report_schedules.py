"""Report schedules in a real Chromium: an admin creates a schedule in the app
page, runs it now, watches the progress finish and downloads the PDF.
"""

import pytest

from b24app.analytics.models import ReportRun, ReportSchedule, ReportStatus
from b24app.extensions import db
from b24app.program.models import University

from .test_card_actions import run_jobs
from .test_card_tabs import SCREENSHOTS

pytestmark = pytest.mark.browser


def open_reports(page, portal, user: int = 1, lang: str = "en"):
    page.goto(f"{portal.base_url}/marketplace/app/7/?user={user}&lang={lang}")
    app_frame = page.frame_locator("iframe.frame").first
    app_frame.locator("[data-section-link='reports']").click()
    app_frame.locator("[data-section='reports']").wait_for(timeout=10_000)
    return app_frame


def test_schedule_run_now_and_download(app, browser, portal, mirror, tmp_path):
    app.instance_path = str(tmp_path)
    university = db.session.get(University, mirror.student.university_id)
    context = browser.new_context(
        accept_downloads=True, viewport={"width": 1100, "height": 900}
    )
    page = context.new_page()
    frame = open_reports(page, portal)

    form = frame.locator("[data-schedule-form]")
    form.locator("select[name='university_id']").select_option(str(university.id))
    form.locator("select[name='file_format']").select_option("pdf")
    form.locator("select[name='frequency']").select_option("monthly")
    form.locator("[data-create-schedule]").click()
    frame.locator("[data-schedule]").wait_for(timeout=10_000)
    schedule = db.session.execute(
        db.select(ReportSchedule).where(ReportSchedule.portal_id == mirror.portal.id)
    ).scalar_one()
    assert schedule.file_format == "pdf"
    assert schedule.frequency == "monthly"
    assert schedule.lang == "en"

    frame.locator(f"[data-run-now='{schedule.id}']").click()
    frame.locator("[data-report-batch='running']").wait_for(timeout=10_000)
    run_jobs(app, ["reports"])
    frame.locator("[data-report-batch='done']").wait_for(timeout=15_000)
    frame.locator("[data-recent-runs] [data-status='succeeded']").wait_for(
        timeout=10_000
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "app-reports-en.png"), full_page=True)

    run = db.session.execute(
        db.select(ReportRun).where(ReportRun.schedule_id == schedule.id)
    ).scalar_one()
    assert run.status == ReportStatus.SUCCEEDED
    with page.expect_download(timeout=15_000) as download_info:
        frame.locator(f"[data-download='{run.id}']").click()
    download = download_info.value
    assert download.suggested_filename == run.file_name
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    context.close()


def test_non_admin_has_no_reports_section(browser, portal, mirror):
    page = browser.new_page()
    page.goto(f"{portal.base_url}/marketplace/app/7/?user=2&lang=en")
    frame = page.frame_locator("iframe.frame").first
    frame.locator("[data-section-link='rules']").wait_for(timeout=10_000)

    assert frame.locator("[data-section-link='reports']").count() == 0
    app_frame = next(f for f in page.frames if "/b24/app" in f.url)
    status = app_frame.evaluate(
        """async () => {
            const headers = JSON.parse(document.body.getAttribute('hx-headers'));
            const body = new URLSearchParams({frequency: 'weekly', file_format: 'pdf',
                                              lang: 'en'});
            const response = await fetch('/b24/app/reports/schedules', {
                method: 'POST', headers, body,
            });
            return response.status;
        }"""
    )
    assert status == 403
    page.close()
