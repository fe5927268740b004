"""Seed one realistic portal into PostgreSQL with COPY, for the analytics benchmark.

Universities are the Russian entries of the Hipo university list and employers
the hh.ru and S&P 500 companies, both from `b24app/emulator/seed_data`; people
are generated. Three years (2024-2026) of spring and autumn terms, applications
with their stage histories, partnerships with seats, and a few tombstones.
"""

import csv
import io
import json
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

import sqlalchemy as sa

from b24app.emulator.seed import generate_student
from b24app.sync.models import CrmRecord

SIZES = {
    "universities": 150,
    "employers": 1_500,
    "students": 200_000,
    "internships": 15_000,
    "applications": 600_000,
}
TERMS = [
    (year, season) for year in (2024, 2025, 2026) for season in ("spring", "autumn")
]
# Probability of moving on from each stage; the rest are rejected or withdraw.
ADVANCE = {"new": 0.75, "screening": 0.6, "interview": 0.55, "offer": 0.85}
NEXT_STAGE = {
    "new": "screening",
    "screening": "interview",
    "interview": "offer",
    "offer": "hired",
}
SOURCES = ["form"] * 6 + ["api"] * 2 + ["crm", "import", "card"]
COPY_CHUNK_ROWS = 100_000
NULL_MARKER = "\\N"


def seed_data(name: str) -> Any:
    return resources.files("b24app.emulator").joinpath("seed_data", name)


def university_names() -> list[tuple[str, list[str]]]:
    entries = json.loads(seed_data("universities_ru_hipo.json").read_text("utf-8"))
    names = sorted({(entry["name"], tuple(entry["domains"])) for entry in entries})
    return [(name, list(domains)) for name, domains in names][: SIZES["universities"]]


def employer_names() -> list[tuple[str, str, str]]:
    """(name, industry, city) for every employer: each company, then branches."""
    vacancies = json.loads(
        seed_data("hh_vacancies_facts_2025-11.json").read_text("utf-8")
    )
    base = sorted({(v["employer"], "IT", v["city"]) for v in vacancies})
    with seed_data("companies_sp500_gics.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            city = row["Headquarters Location"].split(",")[0]
            base.append((row["Security"], row["GICS Sector"], city))

    cities = ["Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург"]
    employers = []
    for branch in range(SIZES["employers"] // len(base) + 1):
        for name, industry, city in base:
            if branch == 0:
                employers.append((name, industry, city))
            else:
                office = cities[branch % len(cities)]
                employers.append((f"{name} ({office} {branch})", industry, office))
    return employers[: SIZES["employers"]]


def copy_rows(connection: Any, table: str, columns: list[str], rows: Iterable[tuple]):
    """COPY rows into `table` in chunks; values are written as CSV text."""
    cursor = connection.connection.cursor()
    # Empty strings stay empty; None is written as the NULL marker.
    statement = (
        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    )
    for chunk in chunked(rows, COPY_CHUNK_ROWS):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows(
            [NULL_MARKER if value is None else value for value in row] for row in chunk
        )
        buffer.seek(0)
        cursor.copy_expert(statement, buffer)


def chunked(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def term_window(year: int, season: str) -> tuple[date, date]:
    if season == "spring":
        return date(year, 2, 1), date(year, 6, 30)
    return date(year, 9, 1), date(year, 12, 25)


def seed_portal(
    engine: sa.Engine, portal_id: int, rng: random.Random
) -> dict[str, Any]:
    """Write the whole portal; returns ids and counts the benchmark samples from."""
    with engine.begin() as connection:
        terms = seed_terms(connection, portal_id)
        universities = seed_organizations(connection, portal_id)
        students = seed_students(connection, portal_id, rng, universities["university"])
        internships = seed_internships(connection, portal_id, rng, terms, universities)
        partnerships = seed_partnerships(
            connection, portal_id, rng, terms, universities
        )
        counts = seed_applications(
            connection, portal_id, rng, terms, students, internships, partnerships
        )
        seed_recruiters(connection, portal_id)
    return {"terms": terms, **universities, **counts}


def seed_terms(connection: Any, portal_id: int) -> list[dict[str, Any]]:
    terms = []
    for number, (year, season) in enumerate(TERMS, start=1):
        starts, ends = term_window(year, season)
        terms.append({"id": number, "starts": starts, "ends": ends})
    copy_rows(
        connection,
        "term",
        [
            "id",
            "portal_id",
            "name",
            "starts_on",
            "ends_on",
            "placed_at_stage",
            "freeze_placed",
        ],
        (
            (
                t["id"],
                portal_id,
                f"{season.title()} {year}",
                t["starts"],
                t["ends"],
                "hired",
                "t",
            )
            for t, (year, season) in zip(terms, TERMS, strict=True)
        ),
    )
    return terms


def seed_organizations(connection: Any, portal_id: int) -> dict[str, list[int]]:
    universities = university_names()
    copy_rows(
        connection,
        "university",
        ["id", "portal_id", "name", "city", "domains", "deleted"],
        (
            (number, portal_id, name, "", json.dumps(domains), "f")
            for number, (name, domains) in enumerate(universities, start=1)
        ),
    )
    employers = employer_names()
    copy_rows(
        connection,
        "employer",
        ["id", "portal_id", "name", "industry", "city", "deleted"],
        (
            # Every 100th employer's company was deleted in the CRM.
            (
                number,
                portal_id,
                name,
                industry[:120],
                city[:120],
                "t" if number % 100 == 0 else "f",
            )
            for number, (name, industry, city) in enumerate(employers, start=1)
        ),
    )
    return {
        "university": list(range(1, len(universities) + 1)),
        "employer": list(range(1, len(employers) + 1)),
    }


def seed_students(
    connection: Any, portal_id: int, rng: random.Random, universities: list[int]
) -> list[tuple[int, int]]:
    """Students spread unevenly over universities; returns (id, university id)."""
    weights = [1 / (rank**0.8) for rank in range(1, len(universities) + 1)]
    owners = rng.choices(universities, weights=weights, k=SIZES["students"])
    students = list(enumerate(owners, start=1))

    def rows() -> Iterator[tuple]:
        for number, university in students:
            person = generate_student(rng, number)
            email = person["EMAIL"][0]["VALUE"]
            yield (
                number,
                portal_id,
                university,
                f"N{number:07d}",
                person["NAME"],
                person["LAST_NAME"],
                email,
                email.lower(),
                rng.randint(1, 5),
                "",
                "[]",
                "f",
                "f",
                "form",
                "2024-01-01T00:00:00Z",
            )

    copy_rows(
        connection,
        "student",
        [
            "id",
            "portal_id",
            "university_id",
            "student_number",
            "first_name",
            "last_name",
            "email",
            "email_normalized",
            "course",
            "programme",
            "skills",
            "frozen",
            "placed",
            "source",
            "profile_observed_at",
        ],
        rows(),
    )
    return students


def seed_internships(connection, portal_id, rng, terms, organizations) -> list[tuple]:
    """Internships per term; returns (id, employer id, term id) tuples."""
    employers = organizations["employer"]
    universities = organizations["university"]
    internships = []
    links = []
    for number in range(1, SIZES["internships"] + 1):
        term = terms[(number - 1) % len(terms)]
        employer = rng.choice(employers)
        internships.append((number, employer, term["id"]))
        for university in rng.sample(universities, rng.randint(1, 3)):
            links.append((len(links) + 1, portal_id, number, university))

    latest_term = terms[-1]["id"]

    def status(term_id: int) -> str:
        if term_id == latest_term:
            return rng.choice(["open", "open", "open", "draft", "closed"])
        return rng.choice(["completed"] * 8 + ["cancelled", "closed"])

    copy_rows(
        connection,
        "internship",
        [
            "id",
            "portal_id",
            "employer_id",
            "term_id",
            "title",
            "city",
            "required_skills",
            "programmes",
            "seats",
            "starts_on",
            "status",
            "open_to_all",
        ],
        (
            (
                number,
                portal_id,
                employer,
                term_id,
                f"Стажировка {number}",
                "Москва",
                "[]",
                "[]",
                rng.randint(1, 5),
                terms[term_id - 1]["starts"],
                status(term_id),
                "t" if number % 10 == 0 else "f",
            )
            for number, employer, term_id in internships
        ),
    )
    copy_rows(
        connection,
        "internship_university",
        ["id", "portal_id", "internship_id", "university_id"],
        links,
    )
    return internships


def seed_partnerships(connection, portal_id, rng, terms, organizations) -> dict:
    """Ten employers per university per term; returns {(uni, employer, term): id}."""
    partnerships = {}
    rows = []
    for term in terms:
        for university in organizations["university"]:
            for employer in rng.sample(organizations["employer"], 10):
                key = (university, employer, term["id"])
                partnerships[key] = len(rows) + 1
                rows.append(
                    (
                        len(rows) + 1,
                        portal_id,
                        university,
                        employer,
                        term["id"],
                        rng.randint(2, 30),
                        0,
                        "",
                        "",
                        "",
                        "active",
                    )
                )
    copy_rows(
        connection,
        "partnership",
        [
            "id",
            "portal_id",
            "university_id",
            "employer_id",
            "term_id",
            "seats_total",
            "seats_used",
            "agreement_number",
            "university_contact_name",
            "employer_contact_name",
            "status",
        ],
        rows,
    )
    return partnerships


def walk_stages(rng: random.Random, created: datetime, active: bool) -> list[tuple]:
    """Generate a stage history: (from, to, at) steps from "new" on."""
    steps = [(None, "new", created)]
    stage, at = "new", created
    while stage in ADVANCE:
        if active and rng.random() < 0.3:
            break
        at = at + timedelta(days=rng.uniform(0.5, 14))
        if rng.random() < ADVANCE[stage]:
            following = NEXT_STAGE[stage]
        else:
            following = "withdrawn" if rng.random() < 0.15 else "rejected"
        steps.append((stage, following, at))
        stage = following
    return steps


def seed_applications(
    connection, portal_id, rng, terms, students, internships, partnerships
) -> dict[str, int]:
    by_term: dict[int, list[tuple]] = {}
    for internship in internships:
        by_term.setdefault(internship[2], []).append(internship)
    latest_term = terms[-1]["id"]
    seen: set[tuple[int, int]] = set()
    changes: list[tuple] = []
    tombstones: list[dict] = []

    def rows() -> Iterator[tuple]:
        number = 0
        while number < SIZES["applications"]:
            student, university = rng.choice(students)
            term = rng.choice(terms)
            internship, employer, term_id = rng.choice(by_term[term["id"]])
            if (internship, student) in seen:
                continue
            seen.add((internship, student))
            number += 1

            window = (term["ends"] - term["starts"]).days
            created = datetime.combine(term["starts"], datetime.min.time(), UTC) + (
                timedelta(days=rng.uniform(0, window * 0.6))
            )
            steps = walk_stages(rng, created, active=term_id == latest_term)
            for from_stage, to_stage, at in steps:
                changes.append(
                    (len(changes) + 1, portal_id, number, from_stage, to_stage, at, "")
                )
            partnership = partnerships.get((university, employer, term_id))
            if number % 100 == 0:
                tombstones.append(
                    {
                        "portal_id": portal_id,
                        "entity_type": "deal",
                        "bitrix_id": number,
                        "deleted_at": created,
                    }
                )
            yield (
                number,
                portal_id,
                number,
                student,
                internship,
                employer,
                university,
                term_id,
                partnership,
                steps[-1][1],
                "",
                rng.randint(100, 140),
                rng.choice(SOURCES),
                0.5,
                created,
                created,
            )

    copy_rows(
        connection,
        "application",
        [
            "id",
            "portal_id",
            "bitrix_id",
            "student_id",
            "internship_id",
            "employer_id",
            "university_id",
            "term_id",
            "partnership_id",
            "stage",
            "rejection_reason",
            "assigned_user_id",
            "source",
            "score",
            "created_at",
            "updated_at",
        ],
        rows(),
    )
    copy_rows(
        connection,
        "application_stage_change",
        [
            "id",
            "portal_id",
            "application_id",
            "from_stage",
            "to_stage",
            "changed_at",
            "reason",
        ],
        changes,
    )
    # Few rows, written with Core so the ledger's column defaults apply.
    connection.execute(sa.insert(CrmRecord.__table__), tombstones)
    return {"stage_changes": len(changes), "tombstones": len(tombstones)}


def seed_recruiters(connection: Any, portal_id: int) -> None:
    copy_rows(
        connection,
        "recruiter",
        ["id", "portal_id", "bitrix_user_id", "name", "active"],
        (
            (user - 99, portal_id, user, f"Рекрутер {user}", "t" if user < 138 else "f")
            for user in range(100, 141)
        ),
    )
