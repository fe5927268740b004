"""The same figures on the embedded SQLite database, with percentiles in Python."""

import pytest

from b24app import create_app
from b24app.analytics import dashboard_figures, rollup_state, university_figures
from b24app.analytics.dashboard import compute_dashboard
from b24app.analytics.filters import Filters
from b24app.analytics.sql import percentile
from b24app.extensions import db
from b24app.jobs import get_jobs

pytestmark = pytest.mark.embedded


@pytest.fixture
def sqlite_program(tmp_path, monkeypatch):
    from .conftest import build_program

    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "B24_TOKEN_KEY"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        db.create_all()
        yield build_program()
        db.session.remove()
        db.engine.dispose()


def test_sqlite_dashboard_matches_postgresql(sqlite_program):
    figures = dashboard_figures(sqlite_program.portal_id)

    assert figures["totals"]["applications"] == 8
    assert [row["reached"] for row in figures["funnel"]] == [8, 6, 4, 3, 2]
    assert figures["stage_durations"]["new"] == {
        "median_days": 1.5,
        "p90_days": 2.5,
        "count": 6,
    }
    assert figures["time_to_hire"] == {
        "median_days": 11.0,
        "p90_days": 11.8,
        "count": 2,
    }
    assert figures["monthly"][0] == {"month": "2026-03", "applications": 6, "hired": 2}


def test_sqlite_university_figures(sqlite_program):
    figures = university_figures(sqlite_program.portal_id, sqlite_program["U1"])

    assert figures["students"] == {
        "total": 4,
        "applied": 3,
        "placed": 1,
        "in_process": 2,
    }
    assert figures["time_to_placement"]["median_days"] == 8.0


def test_sqlite_cache_invalidated_in_process(sqlite_program):
    from b24app.program.models import Application

    assert dashboard_figures(sqlite_program.portal_id)["totals"]["applications"] == 8
    db.session.delete(db.session.get(Application, sqlite_program["A6"]))
    db.session.commit()

    assert dashboard_figures(sqlite_program.portal_id)["totals"]["applications"] == 7


def test_sqlite_unbuilt_portal_rebuilds_in_process(sqlite_program):
    from .test_rollup_state import as_after_migration

    portal_id = sqlite_program.portal_id
    as_after_migration(portal_id)

    scanned = compute_dashboard(portal_id, Filters())
    db.session.rollback()
    get_jobs().inline.drain()
    rebuilt = compute_dashboard(portal_id, Filters())

    assert scanned["totals"]["applications"] == 8
    assert rollup_state.is_built(portal_id)
    assert rebuilt == scanned


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([], 0.5, None), ([4.0], 0.9, 4.0), ([1, 2, 3, 4], 0.5, 2.5), ([3, 4], 0.9, 3.9)],
)
def test_percentile_interpolates(values, fraction, expected):
    result = percentile(values, fraction)

    assert result == pytest.approx(expected) if expected is not None else result is None
