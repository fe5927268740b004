"""Bad ids given to `b24app sync full --university`."""

import pytest
from api.support import build_world

from b24app.extensions import db
from b24app.sync.cli import sync_group
from b24app.sync.models import SyncRun


@pytest.fixture
def worlds(app):
    first, second = build_world(), build_world()
    first.north.bitrix_id = 501
    second.north.bitrix_id = 601
    db.session.commit()
    return first, second


def sync_runs() -> int:
    return db.session.execute(db.select(db.func.count(SyncRun.id))).scalar_one()


@pytest.mark.parametrize("value", ["0", "-1", str(2**31), str(10**30), "other"])
def test_bad_university_fails_without_a_run(app, worlds, value):
    first, second = worlds
    university = str(second.north.id) if value == "other" else value
    args = ["full", "--portal", str(first.portal_id), "--university", university]

    result = app.test_cli_runner().invoke(sync_group, args)

    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert sync_runs() == 0


@pytest.mark.parametrize("portal", [str(2**31), "-5"])
def test_bad_portal_fails_without_a_run(app, worlds, portal):
    first, _ = worlds
    args = ["full", "--portal", portal, "--university", str(first.north.id)]

    result = app.test_cli_runner().invoke(sync_group, args)

    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert sync_runs() == 0
