"""Server-side render time of the CRM card tabs and the app page lists.

Creates its own PostgreSQL database, seeds one portal with COPY (100
universities, 1,000 employers, 100,000 generated students, internships and
applications), renders every tab through the Flask test client, prints p50 and
p95 in milliseconds and drops the database.

Frames go through the real `frame_request_required` path. The confirmed user
is put in the app's 60 s user cache first, which is the state after the first
open of a card, so no REST call is made while measuring.

    .venv/bin/python bench/render_bench.py [--renders 50] [--append docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import platform
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

from b24app import create_app
from b24app.emulator.seed import generate_student
from b24app.extensions import db
from b24app.placements.list_scope import CACHE_PREFIX as SCOPE_PREFIX
from b24app.settings import with_driver
from b24app.tenancy.store import token_cipher
from b24app.web.crm_access import COMPANY, CONTACT, DEAL, access_cache, cache_key
from b24app.web.session import SESSION_HEADER, FrameSession, issue_session_token
from b24app.web.user_check import CACHE_PREFIX, ConfirmedUser, user_cache

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SIZES = {
    "universities": 100,
    "employers": 1_000,
    "students": 100_000,
    "internships": 5_000,
    "applications": 200_000,
}
# One internship gets this many applicants, so its tab shows a long list.
BUSY_INTERNSHIP_APPLICANTS = 2_000
STAGES = ["new", "screening", "interview", "offer", "hired", "rejected", "withdrawn"]
# Indexes proposed for the lists (the models do not declare them yet); the
# second measurement runs with them.
PROPOSED_INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_student_portal_name ON student"
    " (portal_id, last_name, first_name, id)",
    "CREATE INDEX IF NOT EXISTS ix_student_university_name ON student"
    " (university_id, last_name, first_name, id)",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_student_search ON student USING gin"
    " (first_name gin_trgm_ops, last_name gin_trgm_ops, email gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_application_portal_stage_id ON application"
    " (portal_id, stage, id)",
    "CREATE INDEX IF NOT EXISTS ix_application_internship_score ON application"
    " (internship_id, score DESC, id)",
]
AUTH_ID = "bench-auth-token"
# The token of the non-admin user 2, whose access checks and list scope are
# cached before measuring, as after the first open of a card in a session.
USER_AUTH_ID = "bench-user-token"
# A stored explanation, so renders take the path that translates the parts.
BENCH_PARTS = [
    {"code": "rule", "rule": "Все", "conditions": ["university_ids"]},
    {"code": "assignee", "user": 2, "strategy": "fixed", "via": "rule"},
    {"code": "score", "total": 0.8, "skills": 0.4, "course": 0.2, "programme": 0.2},
    {"code": "seats", "left": 2, "total": 5},
    {"code": "alternatives", "items": []},
]
MEMBER_ID = "b" * 32
NOW = datetime(2027, 3, 1, tzinfo=UTC)


def copy_rows(connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    """COPY `rows` into `table` as CSV; None becomes NULL."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(
        ["\\N" if value is None else value for value in row] for row in rows
    )
    buffer.seek(0)
    statement = (
        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    )
    connection.connection.cursor().copy_expert(statement, buffer)


def seed(connection, rng: random.Random) -> dict:
    """Insert the portal and its program rows; return the ids the tabs open."""
    portal_id = connection.execute(
        sa.text(
            "INSERT INTO portal (member_id, domain, client_endpoint, server_endpoint,"
            " scopes, plan_status, lang, app_version, state, state_reason,"
            " token_version) VALUES (:member, 'bench.bitrix24.ru',"
            " 'https://bench.bitrix24.ru/rest/', 'https://oauth.bitrix.info/rest/',"
            " 'crm,placement', '', 'ru', '1', 'active', '', 0) RETURNING id"
        ),
        {"member": MEMBER_ID},
    ).scalar_one()
    stamp = NOW.isoformat()

    copy_rows(
        connection,
        "university",
        [
            "portal_id",
            "bitrix_id",
            "name",
            "city",
            "domains",
            "deleted",
            "created_at",
            "updated_at",
        ],
        [
            (
                portal_id,
                10_000 + n,
                f"Университет {n:03d}",
                "Москва",
                "[]",
                False,
                stamp,
                stamp,
            )
            for n in range(1, SIZES["universities"] + 1)
        ],
    )
    copy_rows(
        connection,
        "employer",
        [
            "portal_id",
            "bitrix_id",
            "name",
            "industry",
            "city",
            "deleted",
            "created_at",
            "updated_at",
        ],
        [
            (
                portal_id,
                20_000 + n,
                f"Компания {n:04d}",
                "IT",
                "Казань",
                False,
                stamp,
                stamp,
            )
            for n in range(1, SIZES["employers"] + 1)
        ],
    )
    universities = ids(connection, "university", portal_id)
    employers = ids(connection, "employer", portal_id)

    seed_students(connection, rng, portal_id, universities, stamp)
    seed_internships(connection, rng, portal_id, employers, stamp)
    students = ids(connection, "student", portal_id)
    internships = ids(connection, "internship", portal_id)
    seed_partnerships(connection, portal_id, universities, employers, stamp)
    seed_applications(connection, rng, portal_id, students, internships, stamp)
    return pick_targets(connection, portal_id)


def ids(connection, table: str, portal_id: int) -> list[int]:
    return list(
        connection.execute(
            sa.text(f"SELECT id FROM {table} WHERE portal_id = :p ORDER BY id"),  # noqa: S608
            {"p": portal_id},
        ).scalars()
    )


def seed_students(connection, rng, portal_id, universities, stamp) -> None:
    skills = ["python", "sql", "java", "excel", "figma", "go", "react"]
    rows = []
    for number in range(1, SIZES["students"] + 1):
        person = generate_student(rng, number)
        email = person["EMAIL"][0]["VALUE"]
        rows.append(
            (
                portal_id,
                100_000 + number,
                rng.choice(universities),
                f"S{number}",
                person["NAME"],
                person["LAST_NAME"],
                email,
                email.lower(),
                person["PHONE"][0]["VALUE"],
                rng.randint(1, 5),
                "Информатика",
                json.dumps(rng.sample(skills, 2)),
                stamp if rng.random() < 0.7 else None,
                False,
                False,
                "form",
                stamp,
                stamp,
                stamp,
            )
        )
    copy_rows(
        connection,
        "student",
        [
            "portal_id",
            "bitrix_id",
            "university_id",
            "student_number",
            "first_name",
            "last_name",
            "email",
            "email_normalized",
            "phone",
            "course",
            "programme",
            "skills",
            "consent_at",
            "frozen",
            "placed",
            "source",
            "profile_observed_at",
            "created_at",
            "updated_at",
        ],
        rows,
    )


def seed_internships(connection, rng, portal_id, employers, stamp) -> None:
    statuses = ["open"] * 6 + ["draft", "closed", "completed"]
    rows = [
        (
            portal_id,
            300_000 + number,
            rng.choice(employers),
            f"Стажировка {number:05d}",
            "Москва",
            json.dumps(["python", "sql"]),
            "[]",
            3,
            rng.choice(statuses),
            True,
            stamp,
            stamp,
        )
        for number in range(1, SIZES["internships"] + 1)
    ]
    copy_rows(
        connection,
        "internship",
        [
            "portal_id",
            "bitrix_id",
            "employer_id",
            "title",
            "city",
            "required_skills",
            "programmes",
            "seats",
            "status",
            "open_to_all",
            "created_at",
            "updated_at",
        ],
        rows,
    )


def seed_partnerships(connection, portal_id, universities, employers, stamp) -> None:
    rows = [
        (
            portal_id,
            universities[n % len(universities)],
            employer,
            10,
            n % 10,
            "active",
            f"П-{n}",
            "",
            "",
            stamp,
            stamp,
        )
        for n, employer in enumerate(employers * 2)
    ]
    copy_rows(
        connection,
        "partnership",
        [
            "portal_id",
            "university_id",
            "employer_id",
            "seats_total",
            "seats_used",
            "status",
            "agreement_number",
            "university_contact_name",
            "employer_contact_name",
            "created_at",
            "updated_at",
        ],
        rows,
    )


def seed_applications(connection, rng, portal_id, students, internships, stamp) -> None:
    """Applications to random internships; the first internship is the busy one."""
    employer_of = dict(
        connection.execute(
            sa.text("SELECT id, employer_id FROM internship WHERE portal_id = :p"),
            {"p": portal_id},
        ).all()
    )
    university_of = dict(
        connection.execute(
            sa.text("SELECT id, university_id FROM student WHERE portal_id = :p"),
            {"p": portal_id},
        ).all()
    )
    pairs = set()
    for student in students[:BUSY_INTERNSHIP_APPLICANTS]:
        pairs.add((student, internships[0]))
    while len(pairs) < SIZES["applications"]:
        pairs.add((rng.choice(students), rng.choice(internships)))

    rows = [
        (
            portal_id,
            500_000 + number,
            student,
            internship,
            employer_of[internship],
            university_of[student],
            rng.choice(STAGES),
            "",
            "form",
            round(rng.random(), 4),
            stamp,
            stamp,
        )
        for number, (student, internship) in enumerate(sorted(pairs), start=1)
    ]
    copy_rows(
        connection,
        "application",
        [
            "portal_id",
            "bitrix_id",
            "student_id",
            "internship_id",
            "employer_id",
            "university_id",
            "stage",
            "rejection_reason",
            "source",
            "score",
            "created_at",
            "updated_at",
        ],
        rows,
    )


def pick_targets(connection, portal_id: int) -> dict:
    """Choose the records the tabs open and give one application decisions."""
    query = lambda sql: connection.execute(sa.text(sql), {"p": portal_id}).first()  # noqa: E731
    internship = query(
        "SELECT i.bitrix_id, i.id FROM internship i JOIN application a"
        " ON a.internship_id = i.id WHERE i.portal_id = :p GROUP BY i.id"
        " ORDER BY count(*) DESC LIMIT 1"
    )
    application = query(
        "SELECT bitrix_id, id, student_id FROM application WHERE portal_id = :p"
        " ORDER BY id LIMIT 1"
    )
    student = connection.execute(
        sa.text("SELECT bitrix_id FROM student WHERE id = :s"),
        {"s": application.student_id},
    ).first()
    university = query(
        "SELECT u.bitrix_id FROM university u JOIN student s ON s.university_id = u.id"
        " WHERE u.portal_id = :p GROUP BY u.id ORDER BY count(*) DESC LIMIT 1"
    )
    employer = query(
        "SELECT e.bitrix_id FROM employer e JOIN internship i ON i.employer_id = e.id"
        " WHERE e.portal_id = :p GROUP BY e.id ORDER BY count(*) DESC LIMIT 1"
    )
    for step in range(3):
        decision_id = connection.execute(
            sa.text(
                "INSERT INTO routing_decision (portal_id, created_at, application_id,"
                " accepted, reason_code, score, inputs, outcome, explanation_text,"
                " explanation_parts)"
                " VALUES (:p, :at, :a, true, 'routed', 0.8, '{}', :outcome,"
                " 'Сработало правило «Все»', :parts) RETURNING id"
            ),
            {
                "p": portal_id,
                "at": NOW + timedelta(minutes=step),
                "a": application.id,
                "outcome": json.dumps(
                    {"score_parts": {"skills": 0.4, "course": 0.2, "programme": 0.2}}
                ),
                "parts": json.dumps(BENCH_PARTS),
            },
        ).scalar_one()
    connection.execute(
        sa.text("UPDATE application SET routing_decision_id = :d WHERE id = :a"),
        {"d": decision_id, "a": application.id},
    )
    return {
        "portal_id": portal_id,
        "internship_id": internship.id,
        "internship_deal": internship.bitrix_id,
        "application_deal": application.bitrix_id,
        "contact": student.bitrix_id,
        "university_company": university.bitrix_id,
        "employer_company": employer.bitrix_id,
    }


def frame_body(placement: str, entity_id: int | None, auth_id: str = AUTH_ID) -> dict:
    options = {"ID": str(entity_id)} if entity_id else {}
    return {
        "member_id": MEMBER_ID,
        "AUTH_ID": auth_id,
        "REFRESH_ID": "bench-refresh",
        "AUTH_EXPIRES": "3600",
        "PLACEMENT": placement,
        "PLACEMENT_OPTIONS": json.dumps(options),
        "status": "L",
    }


def measure(label: str, call, renders: int, marker: str) -> tuple[str, float, float]:
    """Render `renders` times after 5 warm-up renders; return p50 and p95 in ms."""
    for _ in range(5):
        response = call()
        assert response.status_code == 200, (label, response.status_code)
        assert marker in response.text, (label, marker)
    durations = []
    for _ in range(renders):
        started = time.perf_counter()
        response = call()
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    cuts = statistics.quantiles(durations, n=20, method="inclusive")
    return label, statistics.median(durations), cuts[18]


def run_renders(app, targets: dict, renders: int) -> list[tuple[str, float, float]]:
    portal_id = targets["portal_id"]
    client = app.test_client()
    key = CACHE_PREFIX + hashlib.sha256(AUTH_ID.encode()).hexdigest()
    user_cache().set(key, ConfirmedUser(portal_id, 1, True), 3600)
    query = urlencode({"DOMAIN": "bench.bitrix24.ru", "PROTOCOL": "1", "LANG": "ru"})
    token = issue_session_token(FrameSession(portal_id, 1, True, "ru"))
    htmx = {SESSION_HEADER: token, "HX-Request": "true"}

    def frame(path: str, placement: str, entity: int | None, auth_id=AUTH_ID):
        body = frame_body(placement, entity, auth_id)
        return lambda: client.post(f"{path}?{query}", data=body)

    def fragment(url: str, headers=htmx):
        return lambda: client.get(url, headers=headers)

    user_htmx = {SESSION_HEADER: warm_user_caches(targets), "HX-Request": "true"}

    cases = [
        (
            "deal tab, internship (2,000 applicants)",
            frame(
                "/b24/placement/deal", "CRM_DEAL_DETAIL_TAB", targets["internship_deal"]
            ),
            "data-internship-title",
        ),
        (
            "deal tab, application",
            frame(
                "/b24/placement/deal",
                "CRM_DEAL_DETAIL_TAB",
                targets["application_deal"],
            ),
            "data-application-title",
        ),
        (
            "contact tab",
            frame(
                "/b24/placement/contact", "CRM_CONTACT_DETAIL_TAB", targets["contact"]
            ),
            "data-student-name",
        ),
        (
            "company tab, university",
            frame(
                "/b24/placement/company",
                "CRM_COMPANY_DETAIL_TAB",
                targets["university_company"],
            ),
            'data-organization="university"',
        ),
        (
            "company tab, employer",
            frame(
                "/b24/placement/company",
                "CRM_COMPANY_DETAIL_TAB",
                targets["employer_company"],
            ),
            'data-organization="employer"',
        ),
        (
            "app page (students list)",
            frame("/b24/app", "DEFAULT", None),
            "data-section-link",
        ),
        ("list: universities", fragment("/b24/app/universities"), "data-university="),
        ("list: employers", fragment("/b24/app/employers"), "data-employer="),
        ("list: students", fragment("/b24/app/students"), "data-student="),
        (
            "list: students, search 'ан'",
            fragment("/b24/app/students?q=ан"),
            "data-student=",
        ),
        (
            "list: students, search 'ова'",
            fragment("/b24/app/students?q=ова"),
            "data-student=",
        ),
        (
            "list: internships, open",
            fragment("/b24/app/internships?status=open"),
            "data-internship=",
        ),
        ("list: applications", fragment("/b24/app/applications"), "data-application="),
        (
            "list: applications, stage=offer",
            fragment("/b24/app/applications?stage=offer"),
            "data-application=",
        ),
        (
            "deal tab, internship, non-admin",
            frame(
                "/b24/placement/deal",
                "CRM_DEAL_DETAIL_TAB",
                targets["internship_deal"],
                USER_AUTH_ID,
            ),
            "data-internship-title",
        ),
        (
            "deal tab, application, non-admin",
            frame(
                "/b24/placement/deal",
                "CRM_DEAL_DETAIL_TAB",
                targets["application_deal"],
                USER_AUTH_ID,
            ),
            "data-application-title",
        ),
        (
            "contact tab, non-admin",
            frame(
                "/b24/placement/contact",
                "CRM_CONTACT_DETAIL_TAB",
                targets["contact"],
                USER_AUTH_ID,
            ),
            "data-student-name",
        ),
        (
            "list: students, non-admin (500 ids)",
            fragment("/b24/app/students", user_htmx),
            "data-student=",
        ),
        (
            "list: applications, non-admin (500 ids)",
            fragment("/b24/app/applications", user_htmx),
            "data-application=",
        ),
    ]
    return [measure(label, call, renders, marker) for label, call, marker in cases]


def warm_user_caches(targets: dict) -> str:
    """Cache user 2's confirmation, record checks and list scope; return a session.

    User 2 is no admin. Its scope is 500 deal ids and 500 contact ids, the
    largest id lists the app keeps, and every company.
    """
    portal_id = targets["portal_id"]
    key = CACHE_PREFIX + hashlib.sha256(USER_AUTH_ID.encode()).hexdigest()
    user_cache().set(key, ConfirmedUser(portal_id, 2, False), 3600)
    records = [
        (DEAL, targets["internship_deal"]),
        (DEAL, targets["application_deal"]),
        (CONTACT, targets["contact"]),
    ]
    for type_id, record_id in records:
        read_key = cache_key(portal_id, 2, "read", type_id, record_id)
        access_cache().set(read_key, True, 3600)

    deal_ids = bitrix_ids("application", portal_id, targets["application_deal"])
    deal_ids.append(targets["internship_deal"])
    contact_ids = bitrix_ids("student", portal_id, targets["contact"])
    scope = {
        str(DEAL): {"mode": "ids", "ids": deal_ids, "failed": False},
        str(CONTACT): {"mode": "ids", "ids": contact_ids, "failed": False},
        str(COMPANY): {"mode": "all", "ids": [], "failed": False},
    }
    access_cache().set(f"{SCOPE_PREFIX}{portal_id}:2", scope, 3600)

    encrypted = token_cipher().encrypt(USER_AUTH_ID)
    return issue_session_token(FrameSession(portal_id, 2, False, "ru", encrypted))


BITRIX_ID_QUERIES = {
    table: f"SELECT bitrix_id FROM {table} WHERE portal_id = :p"  # noqa: S608
    " AND bitrix_id IS NOT NULL AND bitrix_id <> :f ORDER BY id LIMIT 499"
    for table in ("application", "student")
}


def bitrix_ids(table: str, portal_id: int, first: int) -> list[int]:
    """Return `first` and 499 more CRM ids of the table's rows."""
    rows = db.session.execute(
        sa.text(BITRIX_ID_QUERIES[table]), {"p": portal_id, "f": first}
    )
    return [first, *(row[0] for row in rows)]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        ram = f"{pages / 2**30:.0f} GiB RAM"
    except (OSError, ValueError):
        ram = "unknown RAM"
    return f"{os.cpu_count()} CPUs ({cpu}), {ram}, Python {platform.python_version()}"


def vacuum_analyze() -> None:
    """Refresh statistics and visibility maps, as autovacuum would after a load."""
    engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))


def add_proposed_indexes() -> None:
    with db.engine.begin() as connection:
        for statement in PROPOSED_INDEXES:
            connection.execute(sa.text(statement))
    vacuum_analyze()


def report(args, results, indexed, seed_seconds: float) -> str:
    lines = [
        "## Card tab render time",
        "",
        "Server-side render of each CRM card tab and of the app page lists, from",
        "`bench/render_bench.py`: its own PostgreSQL database, seeded with COPY,",
        "then dropped. A frame render includes the frame check with the user",
        "cache warm (the state after the first open of a card), Babel, the",
        "queries and Jinja; browser and network time are not included.",
        "",
        f"### Card tab render time ({datetime.now(UTC).date().isoformat()})",
        "",
        f"Command: `.venv/bin/python bench/render_bench.py --renders {args.renders}`",
        f"Machine: {machine()}, PostgreSQL on loopback,"
        " no Redis (in-memory user cache).",
        f"Data: {SIZES['universities']:,} universities,"
        f" {SIZES['employers']:,} employers, {SIZES['students']:,} students,"
        f" {SIZES['internships']:,} internships,"
        f" {SIZES['applications']:,} applications;"
        f" seeded with COPY in {seed_seconds:.0f} s.",
        f"Each row: {args.renders} renders after 5 warm-up renders, Flask test client,"
        " one process, times in ms.",
        "",
        "Left: the schema the models create. Right: after the script's",
        "PROPOSED_INDEXES (trigram search on students, the name order of",
        "students, applications by stage and by internship).",
        "",
        "| render | p50 | p95 | p50, proposed indexes | p95, proposed indexes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for (label, p50, p95), (_, p50_indexed, p95_indexed) in zip(
        results, indexed, strict=True
    ):
        lines.append(
            f"| {label} | {p50:.1f} | {p95:.1f} | {p50_indexed:.1f} "
            f"| {p95_indexed:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--renders", type=int, default=50, help="timed renders per tab (min 50)"
    )
    parser.add_argument(
        "--append", type=Path, help="append the results to this Markdown file"
    )
    args = parser.parse_args()
    args.renders = max(args.renders, 50)

    name = f"b24app_render_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(with_driver(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = ADMIN_URL.rpartition("/")[0]
    try:
        app = create_app(
            {
                "DATABASE_URL": f"{base}/{name}",
                "REDIS_URL": "",
                "SECRET_KEY": uuid.uuid4().hex,
                "B24_TOKEN_KEY": "Wl0z7nB8o3XW1m0E5GsHnqGm2b8s0T9cO8QK4yqv3Ac=",
                "B24_CLIENT_ID": "local.bench",
                "B24_CLIENT_SECRET": "bench-secret",
            }
        )
        with app.app_context():
            # The student search index needs pg_trgm, which the initial
            # migration creates before the tables.
            with db.engine.begin() as connection:
                connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            db.create_all()
            started = time.perf_counter()
            with db.engine.begin() as connection:
                targets = seed(connection, random.Random(7))
            vacuum_analyze()
            seed_seconds = time.perf_counter() - started
            with app.test_request_context():
                results = run_renders(app, targets, args.renders)
                add_proposed_indexes()
                indexed = run_renders(app, targets, args.renders)
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(
                sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )
        admin.dispose()

    text = report(args, results, indexed, seed_seconds)
    print(text)
    if args.append:
        with args.append.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
