"""Sync of one university against the emulator: its scope only, deletes, resume.

The emulator contains three universities with their students and applications.
Edits are made in the emulator's store directly, so no event reaches the app
and only the university sync can bring them in.
"""

import re
import signal

import pytest

from b24app.extensions import db
from b24app.program.models import Student, University
from b24app.sync.cli import sync_group
from b24app.sync.fullsync import run_full_sync, start_full_sync
from b24app.sync.models import CrmRecord, RunStatus, SyncRun
from b24app.sync.university_sync import (
    NotInCrm,
    run_university_sync,
    start_university_sync,
)

from .support import (
    RequestCounter,
    StopAfter,
    empty_client_buckets,
    mirror_differences,
    populate,
    run_jobs,
    run_killed_child,
    sync_command_env,
)


@pytest.fixture
def mirrored(app, sync_portal):
    """Three universities, mirrored by a full sync before the test edits them."""
    ids = populate(sync_portal, students=60, internships=6, applications=60)
    run = start_full_sync(sync_portal.portal_id, run_now=True)
    assert run.status == RunStatus.SUCCEEDED
    return ids


def crm_rows(sync_portal, entity: str) -> list[dict]:
    with sync_portal.server.state.lock:
        return [
            dict(row)
            for row in sync_portal.server.state.crm.tables[entity].rows.values()
        ]


def students_of(sync_portal, company_id: int) -> list[int]:
    rows = crm_rows(sync_portal, "contact")
    return sorted(
        int(r["ID"]) for r in rows if int(r.get("COMPANY_ID") or 0) == company_id
    )


def deals_of(sync_portal, contact_ids: list[int]) -> list[int]:
    contacts = {str(contact) for contact in contact_ids}
    rows = crm_rows(sync_portal, "deal")
    return sorted(int(r["ID"]) for r in rows if str(r.get("CONTACT_ID")) in contacts)


def edit(sync_portal, entity: str, row_id: int, fields: dict) -> None:
    with sync_portal.server.state.lock:
        sync_portal.server.state.crm.update(entity, row_id, fields, 1)


def delete(sync_portal, entity: str, row_id: int) -> None:
    with sync_portal.server.state.lock:
        sync_portal.server.state.crm.delete(entity, row_id)


def other_stage(sync_portal, deal_id: int) -> str:
    """A stage of the applications pipeline the deal is not in."""
    current = next(r for r in crm_rows(sync_portal, "deal") if int(r["ID"]) == deal_id)
    offer, hired = sync_portal.stage("offer"), sync_portal.stage("hired")
    return hired if current["STAGE_ID"] == offer else offer


def local_university(company_id: int) -> University:
    return db.session.execute(
        db.select(University).where(University.bitrix_id == company_id)
    ).scalar_one()


def differing_entities(sync_portal) -> set[tuple[str, int]]:
    """The CRM entities whose mirror differs from the emulator, record by record."""
    found = set()
    for problem in mirror_differences(sync_portal):
        match = re.search(r"(company|contact|deal) (\d+)", problem)
        assert match, problem
        found.add((match.group(1), int(match.group(2))))
    return found


def ledger(portal_id: int) -> dict[tuple[str, int], tuple]:
    db.session.expire_all()
    rows = db.session.execute(
        db.select(CrmRecord).where(CrmRecord.portal_id == portal_id)
    ).scalars()
    return {
        (row.entity_type, row.bitrix_id): (
            row.content_hash,
            row.deleted_at,
            row.pending,
        )
        for row in rows
    }


def test_university_sync_stays_in_scope(app, sync_portal, mirrored):
    north, south, east = mirrored["university"]
    north_students = students_of(sync_portal, north)
    south_students = students_of(sync_portal, south)
    north_deal = deals_of(sync_portal, north_students[:1])[0]
    south_deal = deals_of(sync_portal, south_students[:1])[0]
    edit(sync_portal, "company", north, {"TITLE": "North renamed"})
    edit(sync_portal, "company", south, {"TITLE": "South renamed"})
    edit(sync_portal, "contact", north_students[0], {"NAME": "Edited"})
    edit(sync_portal, "contact", south_students[0], {"NAME": "Edited"})
    edit(
        sync_portal,
        "deal",
        north_deal,
        {"STAGE_ID": other_stage(sync_portal, north_deal)},
    )
    edit(
        sync_portal,
        "deal",
        south_deal,
        {"STAGE_ID": other_stage(sync_portal, south_deal)},
    )
    # A student who moved to another university is stored as moved.
    edit(sync_portal, "contact", north_students[1], {"COMPANY_ID": east})
    before = ledger(sync_portal.portal_id)

    run = start_university_sync(
        sync_portal.portal_id, local_university(north).id, run_now=True
    )

    db.session.refresh(run)
    after = ledger(sync_portal.portal_id)
    changed = {key for key in before if before[key] != after[key]}
    assert run.status == RunStatus.SUCCEEDED
    assert run.counts["contact"] == len(north_students) - 1
    assert changed == {
        ("company", north),
        ("contact", north_students[0]),
        ("contact", north_students[1]),
        ("deal", north_deal),
    }
    assert differing_entities(sync_portal) == {
        ("company", south),
        ("contact", south_students[0]),
        ("deal", south_deal),
    }
    moved = db.session.execute(
        db.select(Student).where(Student.bitrix_id == north_students[1])
    ).scalar_one()
    assert moved.university_id == local_university(east).id
    assert local_university(south).name == "University 1"


def test_deleted_in_scope_are_tombstoned(app, sync_portal, mirrored):
    north, south, _ = mirrored["university"]
    north_students = students_of(sync_portal, north)
    south_students = students_of(sync_portal, south)
    gone_deal = deals_of(sync_portal, north_students[3:4])[0]
    delete(sync_portal, "contact", north_students[2])
    delete(sync_portal, "deal", gone_deal)
    delete(sync_portal, "contact", south_students[2])

    run = start_university_sync(
        sync_portal.portal_id, local_university(north).id, run_now=True
    )

    db.session.refresh(run)
    after = ledger(sync_portal.portal_id)
    assert run.status == RunStatus.SUCCEEDED
    assert run.cursor["tombstoned"] == {"contact": 1, "deal": 1}
    assert after[("contact", north_students[2])][1] is not None
    assert after[("deal", gone_deal)][1] is not None
    # Outside the scope nothing is tombstoned, even what the CRM no longer has.
    assert after[("contact", south_students[2])][1] is None
    assert differing_entities(sync_portal) == {("contact", south_students[2])}


def test_university_without_company_rejected(app, sync_portal, mirrored):
    university = University(portal_id=sync_portal.portal_id, name="Not in CRM")
    db.session.add(university)
    db.session.commit()

    with pytest.raises(NotInCrm):
        start_university_sync(sync_portal.portal_id, university.id, run_now=True)
    runs = db.session.execute(db.select(SyncRun).where(SyncRun.kind == "university"))
    assert runs.first() is None


# The north university gets 1,200 students, each with one application deal, so
# its deals are read in three chunks of contact ids (500, 500, 200).
STUDENTS = 3600


def test_killed_university_sync_resumes(app, sync_portal, tmp_path):
    ids = populate(sync_portal, students=STUDENTS, applications=STUDENTS)
    start_full_sync(sync_portal.portal_id, run_now=True)
    north = ids["university"][0]
    north_students = students_of(sync_portal, north)
    last_student = north_students[-1]
    edit(sync_portal, "contact", last_student, {"NAME": "Edited"})
    last_deal = deals_of(sync_portal, [last_student])[0]
    edit(
        sync_portal,
        "deal",
        last_deal,
        {"STAGE_ID": other_stage(sync_portal, last_deal)},
    )
    university_id = local_university(north).id
    empty_client_buckets(app.config["REDIS_URL"])

    # The child dies when the deals of the second chunk of contacts arrive.
    log_path = tmp_path / "child.log"
    env = sync_command_env(app, sync_portal.server)
    child = run_killed_child(
        sync_portal.portal_id, str(university_id), "crm.deal.list", 2, env, log_path
    )
    assert child.returncode == -signal.SIGKILL, log_path.read_text()[-2000:]

    db.session.expire_all()
    run = db.session.execute(
        db.select(SyncRun).where(SyncRun.kind == "university")
    ).scalar_one()
    assert run.status == RunStatus.RUNNING
    assert run.cursor["contact"]["done"]
    assert run.cursor["deal"] == {
        "after_contact": north_students[499],
        "last_id": 0,
        "done": False,
    }
    assert run.counts == {"company": 1, "contact": 1200, "deal": 500}

    with RequestCounter() as resumed:
        run_university_sync(run.id)

    db.session.refresh(run)
    # Requests the emulator's rate limit turned away are retried and not counted.
    methods = [method for method, outcome in resumed.calls if outcome == "ok"]
    assert run.status == RunStatus.SUCCEEDED
    assert run.attempts == 2
    # Counts add up over attempts, so reading a chunk twice would show here.
    assert run.counts == {"company": 1, "contact": 1200, "deal": 1200}
    assert "crm.contact.list" not in methods
    assert methods.count("crm.deal.list") == 2
    assert mirror_differences(sync_portal) == []


def test_cli_syncs_one_university(app, runner, sync_portal, mirrored):
    north, south, _ = mirrored["university"]
    edit(sync_portal, "company", north, {"TITLE": "North renamed"})
    edit(sync_portal, "company", south, {"TITLE": "South renamed"})
    portal = str(sync_portal.portal_id)

    result = runner.invoke(
        sync_group,
        ["full", "--portal", portal, "--university", str(local_university(north).id)],
    )
    run_jobs(app)
    unknown = runner.invoke(
        sync_group, ["full", "--portal", portal, "--university", "424242"]
    )

    db.session.expire_all()
    assert result.exit_code == 0, result.output
    assert "university" in result.output
    assert local_university(north).name == "North renamed"
    assert local_university(south).name == "University 1"
    assert unknown.exit_code != 0
    assert "university 424242 not found" in unknown.output


def test_overlapping_full_run_keeps_university_rows(app, sync_portal):
    """A university run between two attempts of a full run tombstones nothing."""
    ids = populate(sync_portal, students=3000, applications=100)
    start_full_sync(sync_portal.portal_id, run_now=True)
    # The second full run stops after the first 2,500 contacts, so the
    # university run below marks some contacts seen that the full run saw too.
    with StopAfter(7), pytest.raises(RuntimeError):
        start_full_sync(sync_portal.portal_id, run_now=True)
    full_run = (
        db.session.execute(
            db.select(SyncRun).where(SyncRun.kind == "full").order_by(SyncRun.id.desc())
        )
        .scalars()
        .first()
    )
    assert full_run.cursor["contact"]["last_id"] > 0

    university_id = local_university(ids["university"][0]).id
    start_university_sync(sync_portal.portal_id, university_id, run_now=True)
    run_full_sync(full_run.id)

    db.session.refresh(full_run)
    tombstoned = (
        db.session.execute(
            db.select(CrmRecord).where(CrmRecord.deleted_at.is_not(None))
        )
        .scalars()
        .all()
    )
    assert full_run.status == RunStatus.SUCCEEDED
    assert tombstoned == []
    assert mirror_differences(sync_portal) == []
