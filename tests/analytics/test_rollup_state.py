"""A portal whose rollups were never built gets right figures and one rebuild.

`as_after_migration` puts a portal where migration 0006 leaves an existing
one: summaries with the new columns at their defaults, empty rollups and no
built mark. The dashboard must then compute from the summaries, queue one
rebuild, and read the rollups only after that rebuild.
"""

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from rq import Queue, SimpleWorker
from rq.job import Job

from b24app.analytics import rollup_state
from b24app.analytics.dashboard import compute_dashboard
from b24app.analytics.filters import Filters
from b24app.analytics.rollup_jobs import REBUILD_QUEUE, rebuild_job_id
from b24app.analytics.rollup_models import (
    DurationBucket,
    DurationValue,
    FigureCount,
    RollupState,
    StudentCount,
    UniversityCount,
)
from b24app.analytics.summary import rebuild_summaries
from b24app.analytics.summary_models import ApplicationSummary
from b24app.cli import main
from b24app.extensions import db
from b24app.jobs import get_jobs

from .conftest import make_portal
from .test_rollups import assert_reads_equal_scan, assert_rollups_equal_rebuild
from .test_rollups_concurrency import (
    HOLD_SECONDS,
    move_to,
    run_overlapping,
    stage_count,
)

ROLLUP_MODELS = (
    RollupState,
    FigureCount,
    DurationBucket,
    DurationValue,
    StudentCount,
    UniversityCount,
)


def as_after_migration(portal_id: int) -> None:
    for model in ROLLUP_MODELS:
        db.session.execute(sa.delete(model).where(model.portal_id == portal_id))
    db.session.execute(
        sa.update(ApplicationSummary)
        .where(ApplicationSummary.portal_id == portal_id)
        .values(counted=True, placed=False)
    )
    db.session.commit()


def scopes(program) -> list[Filters]:
    return [Filters(), Filters(term_id=program["T1"]), Filters(term_id=program["T2"])]


def dashboards(program) -> list[dict]:
    figures = [compute_dashboard(program.portal_id, f) for f in scopes(program)]
    db.session.rollback()
    return figures


def rebuild_queue(app) -> Queue:
    return Queue(REBUILD_QUEUE, connection=get_jobs(app).redis)


def run_rebuild_jobs(app) -> None:
    redis = get_jobs(app).redis
    SimpleWorker([rebuild_queue(app)], connection=redis).work(burst=True)
    db.session.expire_all()


@pytest.fixture
def unbuilt(app, program):
    """The hand-built program as migration 0006 leaves it, and its true figures."""
    expected = dashboards(program)
    as_after_migration(program.portal_id)
    return program, expected


def test_unbuilt_portal_computes_from_summaries(app, unbuilt):
    program, expected = unbuilt

    figures = dashboards(program)

    assert figures == expected
    assert figures[0]["totals"]["applications"] == 8
    assert not rollup_state.is_built(program.portal_id)


def test_unbuilt_portal_queues_one_rebuild(app, unbuilt):
    program, _ = unbuilt

    dashboards(program)
    dashboards(program)

    assert rebuild_queue(app).job_ids == [rebuild_job_id(program.portal_id)]


def test_rebuild_job_marks_built_and_rollups_match(app, unbuilt):
    program, expected = unbuilt
    dashboards(program)

    run_rebuild_jobs(app)

    assert rollup_state.is_built(program.portal_id)
    assert dashboards(program) == expected
    assert_reads_equal_scan(program)
    assert_rollups_equal_rebuild(program.portal_id)
    # The finished job frees its id, and a built portal queues nothing.
    redis = get_jobs(app).redis
    assert not Job.exists(rebuild_job_id(program.portal_id), connection=redis)
    dashboards(program)
    assert rebuild_queue(app).job_ids == []


def test_other_portals_stay_as_they_are(app, unbuilt):
    program, _ = unbuilt

    dashboards(program)

    assert rollup_state.is_built(program.other_portal_id)
    assert rebuild_queue(app).job_ids == [rebuild_job_id(program.portal_id)]


def test_new_portal_starts_built(app):
    portal = make_portal("rollups-new")
    db.session.commit()

    compute_dashboard(portal.id, Filters())

    assert rollup_state.is_built(portal.id)
    assert rebuild_queue(app).job_ids == []


def rebuild_holding_commit(app, portal_id: int, write: Callable[[], None]) -> list:
    """Rebuild, and run `write` in another session while the rebuild waits to commit.

    Returns the order in which the two committed.
    """
    holding = threading.Event()
    committed: list[str] = []
    errors: list[BaseException] = []

    def hold(session) -> None:
        holding.set()
        time.sleep(HOLD_SECONDS)

    def rebuild() -> None:
        with app.app_context():
            try:
                sa.event.listen(db.session(), "before_commit", hold, once=True)
                rebuild_summaries(portal_id)
                committed.append("rebuild")
            except BaseException as error:  # reported by the test thread
                errors.append(error)
                holding.set()
            finally:
                db.session.remove()

    def write_during() -> None:
        with app.app_context():
            try:
                holding.wait(timeout=10)
                write()
                db.session.commit()
                committed.append("write")
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=rebuild), threading.Thread(target=write_during)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return committed


def test_write_during_rebuild_waits_and_lands(app, unbuilt):
    program, _ = unbuilt
    portal_id, term = program.portal_id, program["T1"]

    order = rebuild_holding_commit(
        app, portal_id, move_to(portal_id, program["A3"], "withdrawn")
    )

    assert order == ["rebuild", "write"]
    assert rollup_state.is_built(portal_id)
    assert stage_count(portal_id, term, "withdrawn") == 2
    assert stage_count(portal_id, term, "screening") == 0
    assert_rollups_equal_rebuild(portal_id)


def test_rebuild_during_write_counts_it_once(app, unbuilt):
    program, _ = unbuilt
    portal_id, term = program.portal_id, program["T1"]

    run_overlapping(
        app,
        move_to(portal_id, program["A3"], "withdrawn"),
        lambda: rebuild_summaries(portal_id),
    )

    assert rollup_state.is_built(portal_id)
    assert stage_count(portal_id, term, "withdrawn") == 2
    assert_rollups_equal_rebuild(portal_id)


def test_rebuild_command_marks_built(runner, unbuilt):
    program, expected = unbuilt

    result = runner.invoke(
        main, args=["analytics", "rebuild", "--portal", str(program.portal_id)]
    )

    assert result.exit_code == 0, result.output
    assert rollup_state.is_built(program.portal_id)
    assert dashboards(program) == expected


def test_rebuild_command_rejects_unknown_portal(runner, program):
    result = runner.invoke(main, args=["analytics", "rebuild", "--portal", "999999"])

    assert result.exit_code == 2
    assert "portal 999999 does not exist" in result.output
