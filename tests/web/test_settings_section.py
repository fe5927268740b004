"""Settings section: CRM mapping, sync progress polling, API keys, public form."""

from datetime import UTC, datetime

import pytest
from rq import Queue

from b24app.extensions import db
from b24app.jobs import get_jobs
from b24app.program.api_keys import ApiKey, authenticate_api_key, create_api_key
from b24app.program.models import CrmMapping
from b24app.sync.models import RunStatus, SyncRun, SyncState

from .placement_support import headers, university_of
from .support import install_portal


def test_settings_show_public_link_and_missing_mapping(client, mirror):
    response = client.get("/b24/app/section/settings", headers=headers(mirror))

    assert response.status_code == 200
    assert "data-public-url" in response.text
    assert "/p/" in response.text
    assert "data-mapping-missing" in response.text


def test_settings_show_crm_mapping(client, mirror):
    db.session.add(
        CrmMapping(
            portal_id=mirror.portal.id,
            applications_category_id=5,
            application_stage_ids={"new": "C5:NEW"},
        )
    )
    db.session.commit()

    response = client.get("/b24/app/section/settings", headers=headers(mirror))

    assert "data-mapping" in response.text
    assert "C5:NEW" in response.text


def test_sync_progress_stops_polling_without_run(client, mirror):
    response = client.get("/b24/app/settings/sync", headers=headers(mirror))

    assert response.status_code == 286
    assert 'data-sync="none"' in response.text
    assert "hx-trigger" not in response.text


def test_sync_progress_polls_while_running(client, mirror):
    run = SyncRun(
        portal_id=mirror.portal.id,
        kind="full",
        counts={"company": 50},
        totals={"company": 200},
    )
    db.session.add(run)
    db.session.commit()

    running = client.get("/b24/app/settings/sync", headers=headers(mirror))
    run.status = RunStatus.SUCCEEDED
    db.session.commit()
    done = client.get("/b24/app/settings/sync", headers=headers(mirror))

    assert running.status_code == 200
    assert 'hx-trigger="every 2s"' in running.text
    assert 'data-percent="25.0"' in running.text
    assert done.status_code == 286
    assert 'data-sync="succeeded"' in done.text


def test_sync_card_translates_phase_and_time(client, mirror):
    finished = datetime(2026, 3, 5, 14, 7, 9, 123456, tzinfo=UTC)
    db.session.add(SyncState(portal_id=mirror.portal.id, last_full_sync_at=finished))
    db.session.add(
        SyncRun(portal_id=mirror.portal.id, kind="full", current_entity="tombstones")
    )
    db.session.commit()

    response = client.get("/b24/app/settings/sync", headers=headers(mirror))

    assert "Очистка удалённых записей" in response.text
    assert ">tombstones<" not in response.text
    assert "05.03.2026, 14:07" in response.text
    assert "123456" not in response.text


def test_start_full_sync_queues_run(client, app, mirror):
    response = client.post("/b24/app/settings/sync/full", headers=headers(mirror))

    run = db.session.execute(db.select(SyncRun)).scalar_one()
    queued = Queue("sync", connection=get_jobs(app).redis).job_ids
    assert response.status_code == 200
    assert run.job_id in queued
    assert 'hx-trigger="every 2s"' in response.text


def test_crm_setup_queued(client, app, mirror):
    response = client.post("/b24/app/settings/crm-setup", headers=headers(mirror))

    assert response.status_code == 200
    assert 'data-notice="crm_setup_queued"' in response.text
    assert len(Queue("crm", connection=get_jobs(app).redis)) == 1


def test_university_key_shown_once(client, mirror):
    university = university_of(mirror)

    created = client.post(
        "/b24/app/settings/keys",
        data={"label": "ИС", "university_id": str(university.id)},
        headers=headers(mirror),
    )
    listed = client.get("/b24/app/section/settings", headers=headers(mirror))

    key = db.session.execute(db.select(ApiKey)).scalar_one()
    raw = created.text.split('<code class="secret">')[1].split("</code>")[0]
    assert created.status_code == 200
    assert key.university_id == university.id
    assert authenticate_api_key(raw).id == key.id
    assert raw not in listed.text
    assert f"b24k_{key.prefix}_" in listed.text


def test_portal_admin_token_without_university(client, mirror):
    response = client.post(
        "/b24/app/settings/keys", data={"label": "CI"}, headers=headers(mirror)
    )

    key = db.session.execute(db.select(ApiKey)).scalar_one()
    assert response.status_code == 200
    assert key.scope == "portal"
    assert key.university_id is None


@pytest.mark.parametrize("university_id", ["999999", "abc"])
def test_key_for_unknown_university_rejected(client, mirror, university_id):
    response = client.post(
        "/b24/app/settings/keys",
        data={"university_id": university_id},
        headers=headers(mirror),
    )

    assert response.status_code == 422
    assert db.session.execute(db.select(ApiKey)).first() is None


def test_revoke_key(client, mirror):
    created = create_api_key(mirror.portal.id, "old")

    response = client.post(
        f"/b24/app/settings/keys/{created.key.id}/revoke", headers=headers(mirror)
    )

    assert response.status_code == 200
    assert authenticate_api_key(created.raw) is None


def test_revoke_other_portals_key_not_found(client, portal_server, mirror):
    other = install_portal(portal_server, member_id="9" * 32)
    created = create_api_key(other.id, "theirs")

    response = client.post(
        f"/b24/app/settings/keys/{created.key.id}/revoke", headers=headers(mirror)
    )

    assert response.status_code == 404
    assert authenticate_api_key(created.raw) is not None


def test_key_label_xss_escaped(client, mirror):
    client.post(
        "/b24/app/settings/keys",
        data={"label": "<script>alert(1)</script>"},
        headers=headers(mirror),
    )

    response = client.get("/b24/app/section/settings", headers=headers(mirror))

    assert "<script>alert(1)" not in response.text
