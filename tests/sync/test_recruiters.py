"""Portal users mirrored into Recruiter by the full sync and the reconciliation."""

from b24app.extensions import db
from b24app.program.models import Recruiter
from b24app.program.routing.snapshot import _inactive_users
from b24app.sync.fullsync import start_full_sync
from b24app.sync.reconcile import read_offline_events


def recruiters(portal_id: int) -> dict[int, tuple[str, bool]]:
    db.session.expire_all()
    rows = db.session.execute(
        db.select(Recruiter).where(Recruiter.portal_id == portal_id)
    ).scalars()
    return {row.bitrix_user_id: (row.name, row.active) for row in rows}


def set_user_active(sync_portal, user_id: int, active: bool) -> None:
    with sync_portal.server.state.lock:
        sync_portal.server.state.user(user_id)["ACTIVE"] = active


def test_full_sync_mirrors_users(app, sync_portal):
    portal_id = sync_portal.portal_id

    start_full_sync(portal_id, run_now=True)

    mirrored = recruiters(portal_id)
    assert sorted(mirrored) == [1, 2, 3, 4, 5, 6]
    assert [user for user, (_, active) in mirrored.items() if not active] == [5, 6]
    assert mirrored[1][0] == "Алина Тестова"
    assert _inactive_users(portal_id) == [5, 6]


def test_reconcile_updates_active_flag(app, sync_portal):
    portal_id = sync_portal.portal_id
    start_full_sync(portal_id, run_now=True)
    set_user_active(sync_portal, 2, False)
    set_user_active(sync_portal, 5, True)

    read_offline_events(portal_id)

    mirrored = recruiters(portal_id)
    assert mirrored[2][1] is False
    assert mirrored[5][1] is True
    assert _inactive_users(portal_id) == [2, 6]


def test_user_gone_from_portal_is_inactive(app, sync_portal):
    portal_id = sync_portal.portal_id
    start_full_sync(portal_id, run_now=True)
    with sync_portal.server.state.lock:
        users = sync_portal.server.state.users
        users[:] = [user for user in users if user["ID"] != "4"]

    read_offline_events(portal_id)

    assert recruiters(portal_id)[4][1] is False
