"""Analytics pages, JSON, downloads and report progress over the frame session."""

import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rq import Queue, SimpleWorker

from b24app import ROOT
from b24app.analytics.views import CHART_SCRIPT, CHART_VERSION
from b24app.jobs import get_jobs
from b24app.web.session import (
    SESSION_FIELD,
    SESSION_HEADER,
    FrameSession,
    issue_session_token,
)


def token(program, admin=False, lang="en", portal_id=None):
    portal = portal_id or program.portal_id
    return issue_session_token(FrameSession(portal, 7, admin, lang))


def htmx_get(client, url, session_token):
    return client.get(
        url, headers={SESSION_HEADER: session_token, "HX-Request": "true"}
    )


def test_dashboard_page_has_charts_with_tables(client, program):
    response = htmx_get(client, "/analytics/dashboard", token(program))
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert CHART_SCRIPT in page
    assert page.count('<figure class="chart chart--') == 8
    assert "<caption" in page
    assert 'data-stat="applications"' in page
    assert "Alpha University" in page


def test_dashboard_page_in_russian(client, program):
    page = htmx_get(client, "/analytics/dashboard", token(program, lang="ru"))

    assert "Воронка" in page.get_data(as_text=True)


def test_dashboard_without_session_is_401(client, program):
    response = client.get("/analytics/dashboard", headers={"HX-Request": "true"})

    assert response.status_code == 401


def test_dashboard_json_with_filters(client, program):
    url = f"/analytics/dashboard.json?term_id={program['T2']}"

    body = htmx_get(client, url, token(program)).get_json()

    assert body["totals"]["applications"] == 2
    assert body["filters"] == {"term_id": program["T2"]}


def test_invalid_filter_is_400(client, program):
    response = htmx_get(
        client, "/analytics/dashboard.json?date_from=May", token(program)
    )

    assert response.status_code == 400


def test_university_json_and_fragment(client, program):
    url = f"/analytics/universities/{program['U1']}"
    figures = htmx_get(client, url + ".json", token(program)).get_json()
    fragment = htmx_get(client, url, token(program)).get_data(as_text=True)

    assert figures["students"]["total"] == 4
    assert 'data-stat="placed"><b>1</b>' in fragment


def test_employer_fragment(client, program):
    url = f"/analytics/employers/{program['E2']}"

    fragment = htmx_get(client, url, token(program)).get_data(as_text=True)

    assert 'data-stat="applications"><b>4</b>' in fragment


@pytest.mark.parametrize("name", ["U3", "other"])
def test_university_of_no_access_is_404(client, program, name):
    university_id = program["U3"] if name == "U3" else program["U1"]
    portal_id = program.portal_id if name == "U3" else program.other_portal_id

    response = htmx_get(
        client,
        f"/analytics/universities/{university_id}.json",
        token(program, portal_id=portal_id),
    )

    assert response.status_code == 404


def test_drilldown_lists_applications(client, program):
    fragment = htmx_get(
        client, "/analytics/applications?stage=hired", token(program)
    ).get_data(as_text=True)

    assert fragment.count("data-application=") == 2
    assert "Shown 2 of 2" in fragment


def test_export_xlsx_by_form_post(client, program):
    response = client.post(
        "/analytics/dashboard/export.xlsx", data={SESSION_FIELD: token(program)}
    )

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook["Summary"]["A1"].value == "Metric"


def test_export_csv_of_one_table(client, program):
    response = client.post(
        "/analytics/dashboard/export.csv",
        data={SESSION_FIELD: token(program), "table": "sources", "delimiter": ";"},
    )

    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0] == "Source;Count"
    assert lines[1] == "Form;4"


def test_export_unknown_table_is_400(client, program):
    response = client.post(
        "/analytics/dashboard/export.csv",
        data={SESSION_FIELD: token(program), "table": "secrets"},
    )

    assert response.status_code == 400


def test_report_requires_admin(client, program):
    response = client.post(
        f"/analytics/universities/{program['U1']}/reports",
        headers={SESSION_HEADER: token(program)},
    )

    assert response.status_code == 403


def test_report_progress_and_download(app, client, program, tmp_path):
    app.instance_path = str(tmp_path)
    admin = token(program, admin=True)

    queued = client.post(
        f"/analytics/universities/{program['U1']}/reports",
        headers={SESSION_HEADER: admin, "HX-Request": "true"},
    ).get_data(as_text=True)
    run_id = int(queued.split('data-report="')[1].split('"')[0])
    assert 'hx-trigger="every 1s"' in queued

    redis = get_jobs(app).redis
    SimpleWorker([Queue("reports", connection=redis)], connection=redis).work(
        burst=True
    )
    status = htmx_get(client, f"/analytics/reports/{run_id}", admin)
    download = client.post(
        f"/analytics/reports/{run_id}/download", data={SESSION_FIELD: admin}
    )

    assert status.status_code == 286
    assert "hx-trigger" not in status.get_data(as_text=True)
    assert download.status_code == 200
    assert load_workbook(io.BytesIO(download.data)).sheetnames[0] == "Summary"


def test_chart_library_vendored_with_version():
    path = Path(ROOT) / "static" / CHART_SCRIPT

    assert path.name == f"chart-{CHART_VERSION}.umd.min.js"
    assert f"Chart.js v{CHART_VERSION}" in path.read_text(encoding="utf-8")[:200]


def test_figures_are_json_serialisable(client, program):
    body = htmx_get(client, "/analytics/dashboard.json", token(program)).get_data()

    assert json.loads(body)["funnel"][0]["reached"] == 8


def test_university_stats_offer_report_to_admin(client, program):
    url = f"/analytics/universities/{program['U1']}"

    admin_page = htmx_get(client, url, token(program, admin=True)).get_data(True)
    user_page = htmx_get(client, url, token(program)).get_data(True)

    assert f'data-report-request="{program["U1"]}"' in admin_page
    assert 'value="pdf"' in admin_page
    assert "data-report-request" not in user_page


def test_pdf_report_requested_and_downloaded(app, client, program, tmp_path):
    app.instance_path = str(tmp_path)
    admin = token(program, admin=True)

    queued = client.post(
        f"/analytics/universities/{program['U1']}/reports",
        data={"format": "pdf"},
        headers={SESSION_HEADER: admin, "HX-Request": "true"},
    ).get_data(as_text=True)
    run_id = int(queued.split('data-report="')[1].split('"')[0])
    redis = get_jobs(app).redis
    SimpleWorker([Queue("reports", connection=redis)], connection=redis).work(
        burst=True
    )
    download = client.post(
        f"/analytics/reports/{run_id}/download", data={SESSION_FIELD: admin}
    )

    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF-")
    assert ".pdf" in download.headers["Content-Disposition"]


def test_report_request_rejects_unknown_format(client, program):
    response = client.post(
        f"/analytics/universities/{program['U1']}/reports",
        data={"format": "docx"},
        headers={SESSION_HEADER: token(program, admin=True), "HX-Request": "true"},
    )

    assert response.status_code == 400


def test_report_pack_download_needs_admin(app, client, program, tmp_path):
    app.instance_path = str(tmp_path)
    admin = token(program, admin=True)
    queued = client.post(
        f"/analytics/universities/{program['U1']}/reports",
        headers={SESSION_HEADER: admin, "HX-Request": "true"},
    ).get_data(as_text=True)
    run_id = int(queued.split('data-report="')[1].split('"')[0])
    user = token(program)

    status = htmx_get(client, f"/analytics/reports/{run_id}", user)
    download = client.post(
        f"/analytics/reports/{run_id}/download", data={SESSION_FIELD: user}
    )

    assert status.status_code == 403
    assert download.status_code == 403


def form_fields(page: str, action: str) -> dict[str, str]:
    """Return the hidden fields of the form that posts to `action`."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', page, re.S)
    assert form, f"no form posts to {action}"
    inputs = re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', form[0])
    return dict(inputs)


def test_dashboard_export_form_carries_the_session(client, program):
    page = htmx_get(client, "/analytics/dashboard", token(program))
    action = "/analytics/dashboard/export.xlsx"

    response = client.post(
        action, data=form_fields(page.get_data(as_text=True), action)
    )

    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]


def test_university_fragment_shows_no_raw_values(client, program):
    url = f"/analytics/universities/{program['U1']}"

    fragment = htmx_get(client, url, token(program)).get_data(as_text=True)

    assert ">None<" not in fragment
    assert "employer_name" not in fragment


def test_dashboard_tables_have_titled_columns(client, program):
    page = htmx_get(client, "/analytics/dashboard", token(program))

    assert '<th scope="col">key</th>' not in page.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "percent"), [("en", "%"), ("ru", "\xa0%")])
def test_chart_cells_in_user_language(client, program, lang, percent):
    url = f"/analytics/universities/{program['U1']}"

    fragment = htmx_get(client, url, token(program, lang=lang)).get_data(as_text=True)
    cells = re.findall(r'<td data-value="([^"]*)">([^<]*)</td>', fragment)
    fractions = [text for value, text in cells if "." in value]

    assert cells
    assert fractions
    assert all(text.endswith(percent) for text in fractions)
    assert all(text == "—" for value, text in cells if value == "")
