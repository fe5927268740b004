"""Cached figures are recomputed after every data change, not only on expiry."""

from datetime import UTC, datetime

import sqlalchemy as sa

from b24app.analytics import bump_data_version, dashboard_figures, university_figures
from b24app.analytics.cache import get_cache
from b24app.analytics.summary import forget_application_summary
from b24app.extensions import db
from b24app.program.models import Application, ApplicationStageChange, Internship
from b24app.sync.models import CrmRecord


def cached_keys(app) -> list[bytes]:
    return get_cache(app).redis.keys("b24app:analytics:figures:*")


def test_second_call_served_from_redis(app, program):
    first = dashboard_figures(program.portal_id)
    keys = cached_keys(app)
    second = dashboard_figures(program.portal_id)

    assert len(keys) == 1
    assert second == first


def test_orm_commit_invalidates_without_explicit_bump(program):
    assert dashboard_figures(program.portal_id)["totals"]["applications"] == 8

    internship = db.session.get(Internship, program["I2"])
    db.session.add(
        Application(
            portal_id=program.portal_id,
            student_id=program["S4"],
            internship_id=internship.id,
            employer_id=internship.employer_id,
            university_id=program["U1"],
            term_id=internship.term_id,
            stage="new",
        )
    )
    db.session.commit()

    assert dashboard_figures(program.portal_id)["totals"]["applications"] == 9


def test_sync_tombstone_removes_application(program):
    application = db.session.get(Application, program["A1"])
    application.bitrix_id = 501
    db.session.commit()
    assert dashboard_figures(program.portal_id)["application_stage"]["hired"] == 2

    db.session.add(
        CrmRecord(
            portal_id=program.portal_id,
            entity_type="deal",
            bitrix_id=501,
            deleted_at=datetime(2026, 10, 2, tzinfo=UTC),
        )
    )
    db.session.commit()

    assert dashboard_figures(program.portal_id)["application_stage"]["hired"] == 1


def test_core_write_needs_explicit_bump(program):
    before = dashboard_figures(program.portal_id)["totals"]["applications"]
    with db.engine.begin() as connection:
        # A Core DELETE takes the summary off the rollups first, as it must.
        forget_application_summary(program.portal_id, [program["A8"]], connection)
        connection.execute(
            sa.delete(ApplicationStageChange).where(
                ApplicationStageChange.application_id == program["A8"]
            )
        )
        connection.execute(
            sa.delete(Application).where(Application.id == program["A8"])
        )

    stale = dashboard_figures(program.portal_id)["totals"]["applications"]
    bump_data_version(program.portal_id)
    fresh = dashboard_figures(program.portal_id)["totals"]["applications"]

    assert (before, stale, fresh) == (8, 8, 7)


def test_moving_application_between_internships(program):
    before = university_figures(program.portal_id, program["U1"])
    assert before["seats"][0]["used"] == 2

    application = db.session.get(Application, program["A8"])
    target = db.session.get(Internship, program["I1"])
    application.internship_id = target.id
    application.employer_id = target.employer_id
    application.term_id = target.term_id
    application.partnership_id = program["P1"]
    db.session.commit()

    after = university_figures(program.portal_id, program["U1"])
    used = {row["partnership_id"]: row["used"] for row in after["seats"]}
    assert used == {program["P3"]: 1, program["P1"]: 3}


def test_bump_for_one_portal_leaves_other_cached(app, program):
    dashboard_figures(program.portal_id)
    dashboard_figures(program.other_portal_id)
    cache = get_cache(app)
    other_version = cache.version(program.other_portal_id)

    bump_data_version(program.portal_id)

    assert cache.version(program.other_portal_id) == other_version
    assert cache.version(program.portal_id) != other_version


def test_memory_cache_without_redis(program):
    from b24app.analytics.cache import FigureCache

    cache = FigureCache(None)
    cache.set("key", {"a": 1})
    version = cache.version(7)
    cache.bump(7)

    assert cache.get("key") == {"a": 1}
    assert cache.version(7) != version
    assert cache.get("missing") is None
