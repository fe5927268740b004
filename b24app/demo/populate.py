"""Fill a freshly installed demo portal the way its admin and recruiters would.

The emulator's seed contains plain CRM data: Russian universities as partner
companies, employers, vacancies as deals in the general pipeline, and generated
students. After the app's install created its company type, pipelines and fields,
this module marks the universities, fills the students' fields and opens
internships through REST calls, so the app learns all of it from CRM events like
it would in a real portal. Then it sets up the program locally (a term,
partnerships, routing rules) and routes a few applications.
"""

import logging
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from b24app.bitrix.client import Client
from b24app.extensions import db
from b24app.program.identity import StudentData
from b24app.program.models import Internship, Student, University
from b24app.program.models.crm_mapping import CrmMapping
from b24app.program.routing import ApplicationRequest, route_application
from b24app.program.services.partnerships import create_partnership
from b24app.program.services.rules import create_rule
from b24app.program.services.terms import create_term
from b24app.tenancy.models import Portal

log = logging.getLogger(__name__)

PROGRAMMES = ["Прикладная информатика", "Программная инженерия", "Экономика"]
BATCH_SIZE = 50


def run_batches(client: Client, commands: list[tuple[str, dict[str, Any]]]) -> None:
    for start in range(0, len(commands), BATCH_SIZE):
        chunk = commands[start : start + BATCH_SIZE]
        client.batch({f"c{start + i}": command for i, command in enumerate(chunk)})


def mark_universities(client: Client, mapping: CrmMapping) -> int:
    """Give the seeded partner companies the app's University company type."""
    rows = list(
        client.list_all(
            "crm.company.list", filter={"COMPANY_TYPE": "PARTNER"}, select=["ID"]
        )
    )
    commands = [
        (
            "crm.company.update",
            {
                "id": row["ID"],
                "fields": {"COMPANY_TYPE": mapping.university_company_type_id},
            },
        )
        for row in rows
    ]
    run_batches(client, commands)
    return len(commands)


def fill_students(client: Client, mapping: CrmMapping, rng: random.Random) -> int:
    """Set student number, course, programme and skills on every contact."""
    fields = mapping.user_fields
    skills = ["Python", "SQL", "Git", "Linux", "JavaScript", "Excel", "1С", "Java"]
    rows = list(client.list_all("crm.contact.list", select=["ID"]))
    commands = []
    for row in rows:
        values = {
            fields["student_number"]: f"S{int(row['ID']):06d}",
            fields["course"]: rng.randint(1, 5),
            fields["programme"]: rng.choice(PROGRAMMES),
            fields["skills"]: rng.sample(skills, k=rng.randint(2, 4)),
        }
        commands.append(("crm.contact.update", {"id": row["ID"], "fields": values}))
    run_batches(client, commands)
    return len(commands)


def open_internships(client: Client, mapping: CrmMapping, rng: random.Random) -> int:
    """Copy the seeded vacancies into the Internships pipeline as open internships."""
    fields = mapping.user_fields
    now = datetime.now(UTC)
    vacancies = list(
        client.list_all(
            "crm.deal.list",
            filter={"CATEGORY_ID": 0},
            select=["ID", "TITLE", "COMPANY_ID", "COMMENTS", "ASSIGNED_BY_ID"],
        )
    )
    commands = []
    for vacancy in vacancies:
        skills = [s.strip() for s in (vacancy.get("COMMENTS") or "").split(",")]
        values = {
            "TITLE": vacancy["TITLE"],
            "CATEGORY_ID": mapping.internships_category_id,
            "STAGE_ID": mapping.internship_stage_ids["open"],
            "COMPANY_ID": vacancy["COMPANY_ID"],
            "ASSIGNED_BY_ID": vacancy.get("ASSIGNED_BY_ID") or 1,
            fields["required_skills"]: [s for s in skills if s][:6] or ["Python"],
            fields["seats"]: rng.randint(2, 6),
            fields["city"]: "Москва",
            fields["starts_on"]: (now + timedelta(days=60)).date().isoformat(),
            fields["ends_on"]: (now + timedelta(days=150)).date().isoformat(),
            fields["applications_open_at"]: (now - timedelta(days=10)).isoformat(),
            fields["applications_close_at"]: (now + timedelta(days=45)).isoformat(),
        }
        commands.append(("crm.deal.add", {"fields": values}))
    run_batches(client, commands)
    return len(commands)


def populate_crm(portal: Portal, client: Client, seed: int = 7) -> dict[str, int]:
    """Step one, through the CRM: the app mirrors it from the events it receives."""
    mapping = db.session.execute(
        select(CrmMapping).where(CrmMapping.portal_id == portal.id)
    ).scalar_one()
    rng = random.Random(seed)

    return {
        "universities": mark_universities(client, mapping),
        "students": fill_students(client, mapping, rng),
        "internships": open_internships(client, mapping, rng),
    }


def setup_program(portal_id: int, seed: int = 7) -> dict[str, int]:
    """Step two, in the app: a term, partnerships, routing rules and applications."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    term = create_term(
        portal_id,
        "Весна 2027",
        starts_on=(now - timedelta(days=30)).date(),
        ends_on=(now + timedelta(days=180)).date(),
        applications_open_at=now - timedelta(days=10),
        applications_close_at=now + timedelta(days=45),
        max_active_applications=3,
    )

    internships = scoped_all(Internship, portal_id)
    partners = partner_universities(portal_id, rng, internships)
    for employer_id, university_ids in partners.items():
        for university_id in university_ids:
            create_partnership(
                portal_id,
                university_id,
                employer_id,
                term_id=term.id,
                seats_total=rng.randint(3, 6),
            )

    create_rule(
        portal_id,
        "Python и данные",
        conditions={"skills_any": ["python", "sql"]},
        strategy="least_loaded",
        user_pool=[2, 3],
    )
    create_rule(
        portal_id,
        "Все остальные",
        is_default=True,
        strategy="round_robin",
        user_pool=[1, 2, 3],
    )

    accepted = route_sample_applications(portal_id, rng, internships, partners, term.id)
    return {
        "partnerships": sum(len(ids) for ids in partners.values()),
        "applications": accepted,
    }


def partner_universities(
    portal_id: int, rng: random.Random, internships: list[Internship]
) -> dict[int, list[int]]:
    """Pick, for each employer with internships, the universities it partners with.

    Universities with students come first, so the sample applications have
    somewhere to go.
    """
    with_students = db.session.execute(
        select(Student.university_id)
        .where(Student.portal_id == portal_id, Student.university_id.is_not(None))
        .distinct()
        .order_by(Student.university_id)
    ).scalars()
    university_ids = list(with_students) or [
        university.id for university in scoped_all(University, portal_id)
    ]
    employer_ids = sorted({internship.employer_id for internship in internships})
    return {
        employer_id: rng.sample(university_ids, k=min(6, len(university_ids)))
        for employer_id in employer_ids
    }


def scoped_all(model: Any, portal_id: int) -> list[Any]:
    statement = select(model).where(model.portal_id == portal_id).order_by(model.id)
    return list(db.session.execute(statement).scalars())


def route_sample_applications(
    portal_id: int,
    rng: random.Random,
    internships: list[Internship],
    partners: dict[int, list[int]],
    term_id: int,
) -> int:
    """Apply up to 40 students through the routing engine, as a recruiter would.

    Each goes to an internship of an employer that partners with their university.
    """
    students = [s for s in scoped_all(Student, portal_id) if s.university_id]
    accepted = 0
    for student in rng.sample(students, k=min(40, len(students))):
        choices = [
            internship
            for internship in internships
            if student.university_id in partners.get(internship.employer_id, [])
        ]
        if not choices:
            continue
        internship = rng.choice(choices)
        outcome = route_application(
            portal_id,
            ApplicationRequest(
                student=StudentData(bitrix_id=student.bitrix_id, source="card"),
                internship_id=internship.id,
                term_id=term_id,
                source="card",
            ),
        )
        accepted += int(outcome.accepted)
    return accepted
