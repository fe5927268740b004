"""A small hand-built program whose every figure is worked out by hand.

Times are UTC. Stage histories start at the application's creation. The
comments give what each row is there to test.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from b24app.extensions import db
from b24app.program.models import (
    Application,
    ApplicationStageChange,
    Employer,
    Internship,
    InternshipUniversity,
    Partnership,
    Recruiter,
    Student,
    Term,
    University,
)
from b24app.sync.models import CrmRecord
from b24app.tenancy.models import Portal


def at(day: str, hour: int = 10, second: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, second=second, tzinfo=UTC)


def make_portal(member_id: str) -> Portal:
    portal = Portal(
        member_id=member_id,
        domain=f"{member_id}.bitrix24.test",
        client_endpoint=f"https://{member_id}.bitrix24.test/rest/",
        server_endpoint="https://oauth.bitrix24.test/rest/",
    )
    db.session.add(portal)
    db.session.flush()
    return portal


@dataclass
class Program:
    """Ids of the hand-built rows, by the names the tests use."""

    portal_id: int
    other_portal_id: int
    ids: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, name: str) -> int:
        return self.ids[name]


class Builder:
    def __init__(self, portal_id: int) -> None:
        self.portal_id = portal_id
        self.ids: dict[str, int] = {}

    def add(self, name: str | None, row):
        row.portal_id = self.portal_id
        db.session.add(row)
        db.session.flush()
        if name:
            self.ids[name] = row.id
        return row

    def internship(self, name, employer, term, status, universities, **extra):
        row = self.add(
            name,
            Internship(
                employer_id=self.ids[employer],
                term_id=self.ids[term],
                title=f"Internship {name}",
                status=status,
                starts_on=extra.pop("starts_on", date(2026, 4, 1)),
                **extra,
            ),
        )
        for university in universities:
            self.add(
                None,
                InternshipUniversity(
                    internship_id=row.id, university_id=self.ids[university]
                ),
            )
        return row

    def application(self, name, student, internship, stage, created, steps, **extra):
        """`steps` are (stage, days after creation) after the first "new" step."""
        internship_row = db.session.get(Internship, self.ids[internship])
        student_row = db.session.get(Student, self.ids[student])
        row = self.add(
            name,
            Application(
                student_id=student_row.id,
                internship_id=internship_row.id,
                employer_id=internship_row.employer_id,
                university_id=student_row.university_id,
                term_id=internship_row.term_id,
                stage=stage,
                created_at=created,
                **extra,
            ),
        )
        previous = None
        for to_stage, days in (("new", 0), *steps):
            self.add(
                None,
                ApplicationStageChange(
                    application_id=row.id,
                    from_stage=previous,
                    to_stage=to_stage,
                    changed_at=created + timedelta(days=days),
                ),
            )
            previous = to_stage
        return row


def tombstone(portal_id: int, entity_type: str, bitrix_id: int) -> None:
    # The explicit id is needed on SQLite, where a BIGINT primary key does not
    # autoincrement; it stays clear of PostgreSQL's sequence, which starts at 1.
    db.session.add(
        CrmRecord(
            id=9000 + bitrix_id,
            portal_id=portal_id,
            entity_type=entity_type,
            bitrix_id=bitrix_id,
            kind="",
            deleted_at=at("2026-10-01"),
        )
    )


def build_program() -> Program:
    portal = make_portal("analytics-main")
    other = make_portal("analytics-other")
    b = Builder(portal.id)

    b.add("T1", Term(name="Spring 2026", placed_at_stage="hired"))
    # In this term an offer already counts as a placement.
    b.add("T2", Term(name="Autumn 2026", placed_at_stage="offer"))

    b.add("U1", University(name="Alpha University"))
    b.add("U2", University(name="Beta Institute"))
    b.add("U3", University(name="Gamma Academy", deleted=True))
    b.add("U4", University(name="Delta College"))  # no students, no applications

    b.add("E1", Employer(name="Orbit Labs"))
    b.add("E2", Employer(name="Nord Systems"))
    b.add("E3", Employer(name="Ghost Corp", deleted=True))

    b.internship("I1", "E1", "T1", "open", ["U1", "U2"])
    b.internship("I2", "E1", "T1", "completed", ["U1"])
    b.internship("I3", "E2", "T1", "closed", ["U2"])
    b.internship("I4", "E2", "T2", "open", ["U1"], starts_on=date(2026, 10, 1))
    b.internship("I5", "E3", "T1", "open", ["U1"])  # deleted employer
    b.internship("I6", "E2", "T1", "draft", ["U1"])
    b.internship("I7", "E1", "T1", "open", ["U1"], bitrix_id=700)  # tombstoned
    tombstone(portal.id, "deal", 700)

    for name, university in (
        ("S1", "U1"),
        ("S2", "U1"),
        ("S3", "U1"),
        ("S4", "U1"),  # never applies
        ("S5", "U2"),
        ("S6", "U2"),
    ):
        b.add(
            name,
            Student(
                university_id=b.ids[university],
                first_name=f"Имя{name}",
                last_name=f"Фамилия{name}",
                email=f"{name.lower()}@students.example.test",
            ),
        )
    b.add("S7", Student(university_id=b.ids["U1"], bitrix_id=900, last_name="Gone"))
    tombstone(portal.id, "contact", 900)

    b.add(
        "P1",
        Partnership(
            university_id=b.ids["U1"],
            employer_id=b.ids["E1"],
            term_id=b.ids["T1"],
            seats_total=3,
            status="active",
        ),
    )
    b.add(
        "P2",
        Partnership(
            university_id=b.ids["U2"],
            employer_id=b.ids["E2"],
            term_id=b.ids["T1"],
            seats_total=2,
            status="active",
        ),
    )
    b.add(
        "P3",
        Partnership(
            university_id=b.ids["U1"],
            employer_id=b.ids["E2"],
            term_id=b.ids["T2"],
            seats_total=1,
            status="active",
        ),
    )
    b.add(
        "P4",
        Partnership(
            university_id=b.ids["U2"],
            employer_id=b.ids["E1"],
            term_id=b.ids["T1"],
            seats_total=4,
            status="draft",
        ),
    )
    b.add(
        "P5",
        Partnership(
            university_id=b.ids["U3"],
            employer_id=b.ids["E1"],
            term_id=b.ids["T1"],
            seats_total=5,
            status="active",
        ),
    )

    b.add(None, Recruiter(bitrix_user_id=11, name="Anna Test"))
    b.add(None, Recruiter(bitrix_user_id=13, name="Boris Test", active=False))

    b.application(
        "A1",
        "S1",
        "I1",
        "hired",
        at("2026-03-01"),
        [("screening", 2), ("interview", 5), ("offer", 9), ("hired", 12)],
        source="form",
        assigned_user_id=11,
        partnership_id=b.ids["P1"],
    )
    # Rejected while holding a seat reference: the seat is free again.
    b.application(
        "A2",
        "S2",
        "I1",
        "rejected",
        at("2026-03-02"),
        [("screening", 1), ("rejected", 4)],
        source="api",
        assigned_user_id=11,
        partnership_id=b.ids["P1"],
    )
    # The same student applies again, to another internship.
    b.application(
        "A3",
        "S2",
        "I2",
        "screening",
        at("2026-03-10"),
        [("screening", 3)],
        source="crm",
        assigned_user_id=12,
        partnership_id=b.ids["P1"],
    )
    # Skips screening, then withdraws.
    b.application(
        "A4",
        "S3",
        "I3",
        "withdrawn",
        at("2026-03-05"),
        [("interview", 2), ("withdrawn", 6)],
        source="card",
        assigned_user_id=12,
    )
    b.application(
        "A5",
        "S5",
        "I3",
        "hired",
        at("2026-03-03"),
        [("screening", 1), ("interview", 3), ("offer", 6), ("hired", 10)],
        source="import",
        assigned_user_id=11,
        partnership_id=b.ids["P2"],
    )
    # The last second of March: inside a range ending on March 31.
    b.application(
        "A6",
        "S6",
        "I1",
        "new",
        at("2026-03-31", hour=23, second=59).replace(minute=59),
        [],
        source="form",
    )
    b.application(
        "A7",
        "S1",
        "I4",
        "offer",
        at("2026-09-01"),
        [("screening", 1), ("offer", 4)],
        source="form",
        assigned_user_id=13,
        partnership_id=b.ids["P3"],
    )
    b.application(
        "A8",
        "S3",
        "I4",
        "new",
        at("2026-09-02"),
        [],
        source="form",
        partnership_id=b.ids["P3"],
    )
    # Excluded: the employer's company was deleted.
    b.application("A9", "S5", "I5", "hired", at("2026-03-04"), [("hired", 1)])
    # Excluded: the deal was deleted in Bitrix24.
    b.application(
        "A10",
        "S6",
        "I3",
        "interview",
        at("2026-03-04"),
        [("interview", 1)],
        bitrix_id=1000,
        partnership_id=b.ids["P2"],
    )
    tombstone(portal.id, "deal", 1000)

    # Another portal's rows must never show up.
    o = Builder(other.id)
    o.add("T", Term(name="Other"))
    o.add("U", University(name="Alpha University"))
    o.add("E", Employer(name="Orbit Labs"))
    o.internship("I", "E", "T", "open", ["U"])
    o.add("S", Student(university_id=o.ids["U"], last_name="Other"))
    o.application("A", "S", "I", "hired", at("2026-03-01"), [("hired", 1)])

    db.session.commit()
    return Program(portal.id, other.id, b.ids)


@pytest.fixture
def program(app) -> Program:
    return build_program()
