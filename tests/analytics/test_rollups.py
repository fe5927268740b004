"""The rollups stay equal to a recomputation after any mix of writes.

Each write goes through the path the app uses for it: program services and
ORM flushes, and the sync's Core statements (`remove_rows`). After the writes,
the rollups must equal a rebuild from the stage history, and the dashboard
read from them must equal the one computed from the summaries in scope.
"""

import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from b24app.analytics import dashboard, rollup_reads, rollups, scope
from b24app.analytics.filters import Filters
from b24app.analytics.rollup_models import (
    DurationBucket,
    DurationValue,
    FigureCount,
    StudentCount,
    UniversityCount,
)
from b24app.analytics.summary import rebuild_summaries
from b24app.extensions import db
from b24app.program.models import (
    Application,
    ApplicationStageChange,
    Employer,
    Internship,
    Student,
    Term,
)
from b24app.program.services.stages import change_stage
from b24app.sync.mapping import MappedRecord
from b24app.sync.models import CrmRecord
from b24app.sync.project import project_records, remove_rows

from .conftest import at

STAGES = ("new", "screening", "interview", "offer", "hired", "rejected", "withdrawn")
ROLLUP_TABLES = (FigureCount, DurationBucket, StudentCount, UniversityCount)


def rollup_rows(portal_id: int) -> dict[str, list[tuple]]:
    """Every non-zero rollup row of a portal, in a stable order."""
    rows = {}
    for model in ROLLUP_TABLES:
        table = model.__table__
        values = [
            c
            for c in table.c
            if c.name not in {"portal_id", *table.primary_key.columns.keys()}
        ]
        nonzero = sa.or_(*(column != 0 for column in values))
        statement = (
            sa.select(*table.c)
            .where(table.c.portal_id == portal_id, nonzero)
            .order_by(*table.primary_key.columns)
        )
        rows[table.name] = [tuple(row) for row in db.session.execute(statement)]

    value = DurationValue
    rows["duration_value"] = sorted(
        tuple(row)
        for row in db.session.execute(
            sa.select(
                value.application_id,
                value.term_key,
                value.measure,
                value.bucket,
                value.seconds,
            ).where(value.portal_id == portal_id)
        )
    )
    return rows


def assert_rollups_equal_rebuild(portal_id: int) -> None:
    db.session.expire_all()
    kept = rollup_rows(portal_id)
    rebuild_summaries(portal_id)

    rebuilt = rollup_rows(portal_id)
    for name, rows in rebuilt.items():
        assert kept[name] == rows, f"{name} differs from a rebuild"


def scanned_figures(portal_id: int, filters: Filters) -> tuple:
    """The same figures computed from the summaries in scope, not the rollups."""
    counts = rollups.count_by_columns(
        scope.summaries(portal_id, filters), dashboard.COUNTED
    )
    nonzero = {group: dict(values) for group, values in counts.items()}
    nonzero[("hired_month",)].pop(None, None)
    by_user = nonzero[("assigned_user_id", "stage")]
    for key in [key for key in by_user if key[0] is None]:
        del by_user[key]
    durations, hire = rollups.timings(portal_id, filters)
    return nonzero, durations, hire, dashboard.by_university(portal_id, filters)


def assert_reads_equal_scan(program) -> None:
    db.session.expire_all()
    for filters in (
        Filters(),
        Filters(term_id=program["T1"]),
        Filters(term_id=program["T2"]),
    ):
        read = (
            rollup_reads.count_groups(program.portal_id, filters),
            *rollup_reads.timings(program.portal_id, filters),
            rollup_reads.by_university(program.portal_id, filters),
        )
        scanned = scanned_figures(program.portal_id, filters)
        assert read[0] == scanned[0], f"counts differ for {filters}"
        assert read[1] == scanned[1], f"stage durations differ for {filters}"
        assert read[2] == scanned[2], f"time to hire differs for {filters}"
        assert read[3] == scanned[3], f"universities differ for {filters}"
        db.session.rollback()


class RandomWrites:
    """Seeded random writes to the hand-built program, one commit each."""

    def __init__(self, program, rng: random.Random) -> None:
        self.program = program
        self.portal_id = program.portal_id
        self.rng = rng
        self.next_bitrix_id = 5000
        self.internships = [program[f"I{n}"] for n in range(1, 8)]

    def run(self, steps: int) -> None:
        actions = [name for name in dir(self) if name.startswith("do_")]
        for _ in range(steps):
            getattr(self, self.rng.choice(actions))()
            db.session.commit()

    def applications(self) -> list[Application]:
        return list(
            db.session.execute(
                sa.select(Application)
                .where(Application.portal_id == self.portal_id)
                .order_by(Application.id)
            ).scalars()
        )

    def bitrix_id(self) -> int:
        self.next_bitrix_id += 1
        return self.next_bitrix_id

    def do_insert(self) -> None:
        university = self.rng.choice(["U1", "U2", "U3", None])
        student = Student(
            portal_id=self.portal_id,
            university_id=self.program[university] if university else None,
            last_name=f"Random{self.rng.randrange(10**6)}",
        )
        db.session.add(student)
        db.session.flush()
        internship = db.session.get(Internship, self.rng.choice(self.internships))
        created = at("2026-03-01") + timedelta(hours=self.rng.randrange(24 * 200))
        application = Application(
            portal_id=self.portal_id,
            student_id=student.id,
            internship_id=internship.id,
            employer_id=internship.employer_id,
            university_id=student.university_id,
            term_id=internship.term_id,
            stage="new",
            source=self.rng.choice(["form", "api", "crm"]),
            assigned_user_id=self.rng.choice([None, 11, 12]),
            created_at=created,
            bitrix_id=self.bitrix_id(),
        )
        db.session.add(application)
        db.session.flush()
        db.session.add(
            ApplicationStageChange(
                portal_id=self.portal_id,
                application_id=application.id,
                to_stage="new",
                changed_at=created,
            )
        )

    def do_change_stage(self) -> None:
        application = self.rng.choice(self.applications())
        stage = self.rng.choice([s for s in STAGES if s != application.stage])
        change_stage(self.portal_id, application.id, stage, from_crm=True)

        # Move the change to a random later time, so stays differ in length.
        last = db.session.execute(
            sa.select(ApplicationStageChange)
            .where(ApplicationStageChange.application_id == application.id)
            .order_by(ApplicationStageChange.id.desc())
            .limit(1)
        ).scalar_one()
        last.changed_at = datetime.now(UTC) + timedelta(
            seconds=self.rng.randrange(10**6)
        )

    def do_move(self) -> None:
        application = self.rng.choice(self.applications())
        taken = {
            row.internship_id
            for row in self.applications()
            if row.student_id == application.student_id
        }
        free = [i for i in self.internships if i not in taken]
        if not free:
            return
        internship = db.session.get(Internship, self.rng.choice(free))
        application.internship_id = internship.id
        application.employer_id = internship.employer_id
        application.term_id = internship.term_id

    def do_tombstone(self) -> None:
        application = self.rng.choice(self.applications())
        if application.bitrix_id is None:
            application.bitrix_id = self.bitrix_id()
            db.session.flush()
        record = self._record(application.bitrix_id)
        if record is None:
            db.session.add(
                CrmRecord(
                    portal_id=self.portal_id,
                    entity_type="deal",
                    bitrix_id=application.bitrix_id,
                    kind="application",
                    deleted_at=datetime.now(UTC),
                )
            )
        else:
            record.deleted_at = datetime.now(UTC)

    def do_reimport(self) -> None:
        tombstones = db.session.execute(
            sa.select(CrmRecord).where(
                CrmRecord.portal_id == self.portal_id,
                CrmRecord.entity_type == "deal",
                CrmRecord.deleted_at.isnot(None),
                CrmRecord.bitrix_id >= 5000,
            )
        ).scalars()
        tombstones = list(tombstones)
        if tombstones:
            self.rng.choice(tombstones).deleted_at = None

    def do_toggle_employer(self) -> None:
        employer = db.session.get(Employer, self.program[self.rng.choice(["E1", "E2"])])
        employer.deleted = not employer.deleted

    def do_remove_employer_by_sync(self) -> None:
        employer = db.session.get(Employer, self.program["E2"])
        if employer.bitrix_id is None:
            employer.bitrix_id = self.bitrix_id()
            db.session.flush()
        remove_rows(self.portal_id, "employer", [employer.bitrix_id])

    def do_remove_application_by_sync(self) -> None:
        with_deal = [a for a in self.applications() if a.bitrix_id is not None]
        if with_deal:
            bitrix_id = self.rng.choice(with_deal).bitrix_id
            remove_rows(self.portal_id, "application", [bitrix_id])

    def do_remove_student_by_sync(self) -> None:
        application = self.rng.choice(self.applications())
        student = db.session.get(Student, application.student_id)
        if student.bitrix_id is None:
            student.bitrix_id = self.bitrix_id()
            db.session.flush()
        remove_rows(self.portal_id, "student", [student.bitrix_id])

    def do_delete_application(self) -> None:
        db.session.delete(self.rng.choice(self.applications()))

    def do_flip_term(self) -> None:
        term = db.session.get(Term, self.program[self.rng.choice(["T1", "T2"])])
        term.placed_at_stage = "offer" if term.placed_at_stage == "hired" else "hired"

    def _record(self, bitrix_id: int) -> CrmRecord | None:
        return db.session.execute(
            sa.select(CrmRecord).where(
                CrmRecord.portal_id == self.portal_id,
                CrmRecord.entity_type == "deal",
                CrmRecord.bitrix_id == bitrix_id,
            )
        ).scalar_one_or_none()


def test_rollups_of_hand_built_program(program):
    assert_reads_equal_scan(program)
    assert_rollups_equal_rebuild(program.portal_id)
    assert_rollups_equal_rebuild(program.other_portal_id)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_after_random_writes(program, seed):
    writes = RandomWrites(program, random.Random(seed))
    for _ in range(4):
        for _ in range(8):
            writes.do_insert()
            db.session.commit()
        writes.run(25)

        assert_reads_equal_scan(program)
        assert_rollups_equal_rebuild(program.portal_id)


def test_rollups_after_every_kind_of_write(program):
    writes = RandomWrites(program, random.Random(7))
    actions = sorted(name for name in dir(writes) if name.startswith("do_"))
    for name in actions * 2:
        writes.do_insert()
        getattr(writes, name)()
        db.session.commit()

        assert_reads_equal_scan(program)
    assert_rollups_equal_rebuild(program.portal_id)


def test_rollups_after_term_deleted(program):
    # The database sets the applications' term to NULL; no ORM object changes.
    db.session.delete(db.session.get(Term, program["T2"]))
    db.session.commit()

    counts = rollup_reads.count_groups(program.portal_id, Filters())
    assert counts[("stage",)]["offer"] == 1
    db.session.rollback()
    assert_rollups_equal_rebuild(program.portal_id)


def test_rollups_after_placed_stage_changed(program):
    term = db.session.get(Term, program["T1"])
    term.placed_at_stage = "offer"
    db.session.commit()

    assert_reads_equal_scan(program)
    assert_rollups_equal_rebuild(program.portal_id)


def test_rollups_after_sync_restores_employer(program):
    employer = db.session.get(Employer, program["E2"])
    employer.bitrix_id = 4200
    db.session.commit()
    remove_rows(program.portal_id, "employer", [4200])
    db.session.commit()
    deleted = rollup_reads.count_groups(program.portal_id, Filters())
    db.session.rollback()

    record = MappedRecord(
        entity_type="company",
        bitrix_id=4200,
        kind="employer",
        date_modify=None,
        values={"name": "Nord Systems", "city": "", "industry": ""},
        refs={},
    )
    project_records(program.portal_id, [record])
    db.session.commit()

    restored = rollup_reads.count_groups(program.portal_id, Filters())
    # With employer E2 deleted, its applications A4, A5, A7 and A8 are not counted.
    assert deleted[("stage",)] == {"hired": 1, "rejected": 1, "screening": 1, "new": 1}
    assert restored[("stage",)]["withdrawn"] == 1
    assert_reads_equal_scan(program)
    assert_rollups_equal_rebuild(program.portal_id)
