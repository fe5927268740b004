"""The application summaries stay equal to a rebuild from the stage history."""

from datetime import timedelta

import sqlalchemy as sa

from b24app.analytics import dashboard_figures
from b24app.analytics.rollup_models import FigureCount
from b24app.analytics.sql import duration_summary, percentile
from b24app.analytics.summary import rebuild_summaries, refresh_application_summary
from b24app.analytics.summary_models import (
    STAY_STAGES,
    ApplicationSummary,
    ApplicationSummaryStay,
)
from b24app.cli import main
from b24app.extensions import db
from b24app.program.models import Application, ApplicationStageChange
from b24app.program.services.stages import change_stage


def snapshot(portal_id: int) -> tuple[list, list]:
    """Every summary and later-stay row of a portal, in a stable order."""
    summaries = db.session.execute(
        sa.select(ApplicationSummary.__table__)
        .where(ApplicationSummary.portal_id == portal_id)
        .order_by(ApplicationSummary.application_id)
    ).all()
    stays = db.session.execute(
        sa.select(
            ApplicationSummaryStay.application_id,
            ApplicationSummaryStay.stage,
            ApplicationSummaryStay.seconds,
        )
        .where(ApplicationSummaryStay.portal_id == portal_id)
        .order_by(
            ApplicationSummaryStay.application_id,
            ApplicationSummaryStay.stage,
            ApplicationSummaryStay.seconds,
        )
    ).all()
    return [tuple(row) for row in summaries], [tuple(row) for row in stays]


def assert_equal_to_rebuild(portal_id: int) -> None:
    db.session.expire_all()
    kept = snapshot(portal_id)
    rebuild_summaries(portal_id)

    rebuilt = snapshot(portal_id)
    assert kept[0] == rebuilt[0]
    assert kept[1] == rebuilt[1]


def summary_of(application_id: int) -> ApplicationSummary | None:
    db.session.expire_all()
    return db.session.get(ApplicationSummary, application_id)


def expected_stage_durations(program, excluded: set[str]) -> dict[str, dict]:
    """Days in each stage, computed in Python from the raw stage changes."""
    in_scope = [program[name] for name in program.ids if name.startswith("A")]
    in_scope = [id_ for id_ in in_scope if id_ not in {program[n] for n in excluded}]
    changes = db.session.execute(
        sa.select(ApplicationStageChange)
        .where(ApplicationStageChange.application_id.in_(in_scope))
        .order_by(
            ApplicationStageChange.application_id,
            ApplicationStageChange.changed_at,
            ApplicationStageChange.id,
        )
    ).scalars()
    stays: dict[str, list[float]] = {}
    previous = None
    for change in changes:
        if previous is not None and previous.application_id == change.application_id:
            seconds = (change.changed_at - previous.changed_at).total_seconds()
            stays.setdefault(previous.to_stage, []).append(seconds)
        previous = change
    return {
        stage: duration_summary(
            percentile(stays[stage], 0.5),
            percentile(stays[stage], 0.9),
            len(stays[stage]),
        )
        for stage in STAY_STAGES
        if stage in stays
    }


def test_summary_written_for_every_application(program):
    count = db.session.execute(
        sa.select(sa.func.count()).where(
            ApplicationSummary.portal_id == program.portal_id
        )
    ).scalar_one()

    assert count == 10
    assert_equal_to_rebuild(program.portal_id)
    assert_equal_to_rebuild(program.other_portal_id)


def test_summary_columns_of_hired_application(program):
    summary = summary_of(program["A1"])

    assert summary.furthest_rank == 4
    assert summary.hired_month == "2026-03"
    assert summary.created_month == "2026-03"
    assert summary.seconds_to_hire == 12 * 86400
    assert summary.seconds_to_offer == 9 * 86400
    assert summary.new_seconds == 2 * 86400
    assert summary.offer_seconds == 3 * 86400
    assert summary.hired_seconds is None


def test_stage_change_refreshes_summary(program):
    change_stage(program.portal_id, program["A3"], "interview", from_crm=True)

    summary = summary_of(program["A3"])
    assert summary.stage == "interview"
    assert summary.furthest_rank == 2
    assert summary.screening_seconds is not None
    assert_equal_to_rebuild(program.portal_id)


def test_withdrawal_keeps_furthest_stage(program):
    change_stage(program.portal_id, program["A7"], "withdrawn", from_crm=True)

    summary = summary_of(program["A7"])
    assert summary.stage == "withdrawn"
    assert summary.furthest_rank == 3
    assert summary.offer_seconds is not None
    assert_equal_to_rebuild(program.portal_id)


def test_moves_back_record_later_stays(program):
    for stage in ("interview", "screening", "interview", "screening"):
        change_stage(program.portal_id, program["A3"], stage, from_crm=True)

    # The last stay in screening has not ended, so it is not counted yet.
    stays = snapshot(program.portal_id)[1]
    assert [row[1] for row in stays] == ["interview", "screening"]
    assert_equal_to_rebuild(program.portal_id)


def test_stage_durations_exact_with_later_stays(program):
    for stage in ("interview", "screening", "interview"):
        change_stage(program.portal_id, program["A3"], stage, from_crm=True)
    db.session.execute(
        sa.update(ApplicationStageChange)
        .where(ApplicationStageChange.application_id == program["A3"])
        .where(ApplicationStageChange.to_stage == "interview")
        .values(changed_at=ApplicationStageChange.changed_at + timedelta(seconds=5))
    )
    refresh_application_summary(program.portal_id, [program["A3"]])
    db.session.commit()

    durations = dashboard_figures(program.portal_id)["stage_durations"]
    assert durations == expected_stage_durations(program, excluded={"A9", "A10"})


def test_application_write_refreshes_summary(program):
    application = db.session.get(Application, program["A6"])
    application.term_id = program["T2"]
    application.university_id = program["U1"]
    db.session.commit()

    summary = summary_of(program["A6"])
    assert summary.term_id == program["T2"]
    assert summary.university_id == program["U1"]
    assert_equal_to_rebuild(program.portal_id)


def test_deleted_stage_change_refreshes_summary(program):
    hired = db.session.execute(
        sa.select(ApplicationStageChange).where(
            ApplicationStageChange.application_id == program["A5"],
            ApplicationStageChange.to_stage == "hired",
        )
    ).scalar_one()
    db.session.delete(hired)
    db.session.commit()

    summary = summary_of(program["A5"])
    assert summary.hired_at is None
    assert summary.seconds_to_hire is None
    # The current stage is still hired, so the funnel position stays.
    assert summary.furthest_rank == 4
    assert summary.offer_seconds is None
    assert_equal_to_rebuild(program.portal_id)


def test_stage_change_moved_refreshes_both(program):
    change = db.session.execute(
        sa.select(ApplicationStageChange).where(
            ApplicationStageChange.application_id == program["A7"],
            ApplicationStageChange.to_stage == "offer",
        )
    ).scalar_one()
    change.application_id = program["A8"]
    db.session.commit()

    assert summary_of(program["A7"]).seconds_to_offer is None
    assert summary_of(program["A8"]).seconds_to_offer is not None
    assert_equal_to_rebuild(program.portal_id)


def test_deleted_application_loses_summary(program):
    db.session.delete(db.session.get(Application, program["A6"]))
    db.session.commit()

    assert summary_of(program["A6"]) is None
    assert_equal_to_rebuild(program.portal_id)


def test_core_write_needs_explicit_refresh(program):
    db.session.execute(
        sa.update(Application)
        .where(Application.id == program["A8"])
        .values(stage="interview")
        .execution_options(synchronize_session=False)
    )
    assert summary_of(program["A8"]).stage == "new"

    refresh_application_summary(program.portal_id, [program["A8"]])
    db.session.commit()

    assert summary_of(program["A8"]).stage == "interview"
    assert_equal_to_rebuild(program.portal_id)


def test_rebuild_command(program, runner):
    db.session.execute(sa.delete(ApplicationSummary))
    db.session.execute(sa.delete(FigureCount))
    db.session.commit()

    result = runner.invoke(
        main, args=["analytics", "rebuild", "--portal", str(program.portal_id)]
    )

    assert result.exit_code == 0, result.output
    assert "10 application summaries and the rollups rebuilt" in result.output
    assert summary_of(program["A1"]).furthest_rank == 4
    assert dashboard_figures(program.portal_id)["application_stage"]["hired"] == 2
