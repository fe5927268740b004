"""Hostile requests to the report packs and the admin report schedules."""

import pytest
from web.conftest import mirror, portal_server  # noqa: F401
from web.placement_support import headers, non_admin

HUGE = "99999999999999999999"
BEYOND_INT4 = str(2**31)


@pytest.mark.parametrize("run_id", [HUGE, BEYOND_INT4, "0"])
def test_report_status_with_huge_id_is_404(client, mirror, run_id):  # noqa: F811
    response = client.get(f"/analytics/reports/{run_id}", headers=headers(mirror))

    assert response.status_code == 404


@pytest.mark.parametrize("run_id", [HUGE, BEYOND_INT4])
def test_report_download_with_huge_id_is_404(client, mirror, run_id):  # noqa: F811
    response = client.post(
        f"/analytics/reports/{run_id}/download", headers=headers(mirror)
    )

    assert response.status_code == 404


@pytest.mark.parametrize("action", ["pause", "resume", "delete", "run"])
@pytest.mark.parametrize("schedule_id", [HUGE, BEYOND_INT4])
def test_schedule_action_with_huge_id_is_404(client, mirror, action, schedule_id):  # noqa: F811
    url = f"/b24/app/reports/schedules/{schedule_id}/{action}"

    response = client.post(url, headers=headers(mirror))

    assert response.status_code == 404


@pytest.mark.parametrize("run", [HUGE, BEYOND_INT4, "-1", "abc", "1&run=abc"])
def test_batch_progress_with_bad_run_id_is_400(client, mirror, run):  # noqa: F811
    response = client.get(f"/b24/app/reports/runs?run={run}", headers=headers(mirror))

    assert response.status_code == 400


def test_batch_progress_rejects_non_admin(client, mirror):  # noqa: F811
    response = client.get("/b24/app/reports/runs?run=1", headers=non_admin(mirror))

    assert response.status_code == 403
