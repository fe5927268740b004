"""Benchmark the analytics figures and report packs on a realistic portal.

    .venv/bin/python bench/analytics_bench.py [--append docs/benchmarks.md]

Creates its own PostgreSQL database (dropped at the end) and uses a free Redis
database number, seeds 150 universities, 1,500 employers, 200,000 students,
15,000 internships and 600,000 applications with stage histories, then times
the dashboard, university and employer figures cold (cache missed, data in the
PostgreSQL buffer cache) and warm (served from Redis), and builds report packs.
The statements of a cold dashboard are timed one by one and the slowest get an
EXPLAIN ANALYZE excerpt.
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

import redis
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from analytics_seed import SIZES, seed_portal  # noqa: E402

from b24app import create_app  # noqa: E402
from b24app.analytics import (  # noqa: E402
    Filters,
    bump_data_version,
    dashboard_figures,
    employer_figures,
    rollup_state,
    university_figures,
)
from b24app.analytics.report_pack import build_university_pack  # noqa: E402
from b24app.analytics.rollup_models import FigureCount  # noqa: E402
from b24app.analytics.sql import tune_transaction  # noqa: E402
from b24app.analytics.summary import rebuild_summaries  # noqa: E402
from b24app.extensions import db  # noqa: E402
from b24app.settings import with_driver  # noqa: E402
from b24app.tenancy.models import Portal  # noqa: E402

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_BASE_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
COLD_RUNS = 9
WARM_RUNS = 200
SAMPLED_ORGANIZATIONS = 25
PACKS = 3
EXPLAINED_STATEMENTS = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--append", help="Markdown file to append the results to")
    parser.add_argument("--seed", type=int, default=20261204, help="random seed")
    parser.add_argument(
        "--keep", action="store_true", help="keep the seeded database, print its name"
    )
    parser.add_argument(
        "--seed-only", action="store_true", help="seed and keep, measure nothing"
    )
    parser.add_argument(
        "--reuse",
        metavar="NAME",
        help="measure a database kept by --keep; fills missing summaries, no seeding",
    )
    parser.add_argument(
        "--stage-changes",
        type=int,
        default=0,
        metavar="N",
        help="also time N stage changes, one commit each (changes the data)",
    )
    parser.add_argument(
        "--skip-figures",
        action="store_true",
        help="time no figures or packs (with --stage-changes: the writes only)",
    )
    arguments = parser.parse_args()
    keep = arguments.keep or arguments.seed_only or bool(arguments.reuse)

    name = arguments.reuse or f"b24app_analytics_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(with_driver(ADMIN_URL), isolation_level="AUTOCOMMIT")
    if not arguments.reuse:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    redis_url, release_redis = reserve_redis()
    database_url = f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    try:
        report = run(
            database_url,
            redis_url,
            arguments.seed,
            seed=not arguments.reuse,
            measure=not (arguments.seed_only or arguments.skip_figures),
            stage_changes=arguments.stage_changes,
        )
    finally:
        release_redis()
        if keep:
            print(f"kept database {name}", file=sys.stderr)
        else:
            with admin.connect() as connection:
                drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                connection.execute(sa.text(drop))

    print(report)
    if arguments.append:
        with open(arguments.append, "a", encoding="utf-8") as handle:
            handle.write("\n" + report)


def reserve_redis() -> tuple[str, Callable[[], None]]:
    """Take a free Redis database number through the lock keys the tests use."""
    control = redis.Redis.from_url(f"{REDIS_BASE_URL}/0")
    owner = uuid.uuid4().hex
    for number in range(15, 0, -1):
        key = f"b24app:test-db-lock:{number}"
        if control.set(key, owner, nx=True, ex=3600):
            return f"{REDIS_BASE_URL}/{number}", release_redis(control, key, number)
    raise SystemExit("all Redis databases 1-15 are reserved; try again later")


def release_redis(control: redis.Redis, key: str, number: int) -> Callable[[], None]:
    def release() -> None:
        redis.Redis.from_url(f"{REDIS_BASE_URL}/{number}").flushdb()
        control.delete(key)

    return release


def run(
    database_url: str,
    redis_url: str,
    random_seed: int,
    seed: bool,
    measure: bool,
    stage_changes: int = 0,
) -> str:
    app = create_app(
        {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "bench"}
    )
    lines: list[str] = []
    with app.app_context():
        if seed:
            seeded, seed_seconds = seed_database(random_seed)
        else:
            summarize_reused_database()
            seeded, seed_seconds = describe_database(), 0.0

        lines += header(seeded, seed_seconds)
        portal_id = db.session.execute(sa.select(Portal.id)).scalar_one()
        if measure:
            lines += measure_figures(portal_id, seeded)
            lines += measure_packs(portal_id, seeded)
        if stage_changes:
            lines += measure_stage_changes(stage_changes)
        if measure:
            lines += explain_dashboard(portal_id)
        db.session.remove()
        db.engine.dispose()
    return "\n".join(lines) + "\n"


def seed_database(random_seed: int) -> tuple[dict, float]:
    # The student search index needs pg_trgm, which only the migration creates.
    with db.engine.begin() as connection:
        connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    db.create_all()
    portal = Portal(
        member_id="bench",
        domain="bench.bitrix24.test",
        client_endpoint="https://bench.bitrix24.test/rest/",
        server_endpoint="https://oauth.bitrix24.test/rest/",
    )
    db.session.add(portal)
    db.session.commit()

    started = time.perf_counter()
    seeded = seed_portal(db.engine, portal.id, random.Random(random_seed))
    reset_sequences()
    # COPY bypasses the ORM hooks that keep the summaries current.
    rebuild_summaries(portal.id)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("VACUUM ANALYZE"))
    return seeded, time.perf_counter() - started


def summarize_reused_database() -> None:
    """Create tables added since the database was kept and fill empty rollups.

    Columns added to existing tables since then are not created here.
    """
    db.create_all()
    portal_id = db.session.execute(sa.select(Portal.id)).scalar_one()
    present = db.session.execute(
        sa.select(sa.func.count()).select_from(FigureCount)
    ).scalar_one()
    if present:
        # A database kept from before the built mark has consistent rollups.
        if not rollup_state.is_built(portal_id):
            with db.engine.begin() as connection:
                rollup_state.mark_built(connection, portal_id)
        return
    started = time.perf_counter()
    rebuild_summaries(portal_id)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("VACUUM ANALYZE"))
    seconds = time.perf_counter() - started
    print(f"summaries and rollups rebuilt in {seconds:.0f} s", file=sys.stderr)


def describe_database() -> dict:
    """Read back what `seed_database` wrote, for a reused database."""

    def ids(table: str) -> list[int]:
        statement = sa.text(f"SELECT id FROM {table} ORDER BY id")  # noqa: S608
        return list(db.session.execute(statement).scalars())

    count = db.session.execute(sa.text("SELECT count(*) FROM application_stage_change"))
    tombstones = db.session.execute(sa.text("SELECT count(*) FROM sync_record"))
    terms = [{"id": term_id} for term_id in ids("term")]
    return {
        "terms": terms,
        "university": ids("university"),
        "employer": ids("employer"),
        "stage_changes": count.scalar_one(),
        "tombstones": tombstones.scalar_one(),
    }


def reset_sequences() -> None:
    """Move each id sequence past the ids COPY wrote, so later inserts work."""
    with db.engine.begin() as connection:
        for table in db.metadata.sorted_tables:
            if "id" not in table.c or not table.c.id.autoincrement:
                continue
            highest = sa.select(sa.func.max(table.c.id)).scalar_subquery()
            sequence = sa.func.pg_get_serial_sequence(table.name, "id")
            next_id = sa.func.coalesce(highest, 0) + 1
            connection.execute(sa.select(sa.func.setval(sequence, next_id, False)))


def header(seeded: dict, seed_seconds: float) -> list[str]:
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    with db.engine.connect() as connection:
        version = connection.execute(sa.text("SHOW server_version")).scalar()
    return [
        f"## Analytics figures and report packs ({time.strftime('%Y-%m-%d')})",
        "",
        "Command: `.venv/bin/python bench/analytics_bench.py "
        "--append docs/benchmarks.md`",
        "",
        f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), {memory_gb:.0f} GB RAM, "
        f"Python {platform.python_version()}, PostgreSQL {version}, Redis on loopback.",
        "",
        f"Data: {SIZES['universities']} universities, {SIZES['employers']} employers, "
        f"{SIZES['students']:,} students, {SIZES['internships']:,} internships, "
        f"{SIZES['applications']:,} applications, {seeded['stage_changes']:,} stage "
        f"changes, {seeded['tombstones']:,} tombstoned deals, 6 terms over 2024-2026; "
        f"seeded with COPY and VACUUM ANALYZE in {seed_seconds:.0f} s.",
        "",
        "Cold means the figure cache was missed (data version bumped before each "
        "call) with the tables in PostgreSQL's buffer cache; warm means served "
        "from Redis.",
        "",
        "| Figure | Runs | p50 ms | p95 ms | Aim |",
        "| --- | --- | --- | --- | --- |",
    ]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def timed(
    call: Callable[[], object], runs: int, cold_portal: int | None
) -> list[float]:
    durations = []
    for _ in range(runs):
        if cold_portal is not None:
            bump_data_version(cold_portal)
        started = time.perf_counter()
        call()
        durations.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return durations


def row(label: str, durations: list[float], aim: str) -> str:
    ordered = sorted(durations)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"| {label} | {len(durations)} | {statistics.median(ordered):.1f} | "
        f"{p95:.1f} | {aim} |"
    )


def measure_figures(portal_id: int, seeded: dict) -> list[str]:
    rng = random.Random(7)
    latest = Filters(term_id=seeded["terms"][-1]["id"])
    universities = rng.sample(seeded["university"], SAMPLED_ORGANIZATIONS)
    employers = rng.sample(seeded["employer"][:-1], SAMPLED_ORGANIZATIONS)
    employers = [e for e in employers if e % 100 != 0]
    dashboard_figures(portal_id)  # loads the tables into the buffer cache

    lines = []
    for label, filters in (("all terms", Filters()), ("one term", latest)):

        def dashboard(filters=filters):
            return dashboard_figures(portal_id, filters)

        lines.append(
            row(
                f"Dashboard, {label}, cold",
                timed(dashboard, COLD_RUNS, portal_id),
                "< 150 ms",
            )
        )
        lines.append(
            row(
                f"Dashboard, {label}, warm",
                timed(dashboard, WARM_RUNS, None),
                "< 10 ms",
            )
        )

    for label, ids, figure in (
        ("University", universities, university_figures),
        ("Employer", employers, employer_figures),
    ):
        cold = []
        for organization in ids:
            cold += timed(
                lambda o=organization, f=figure: f(portal_id, o), 1, portal_id
            )
        warm = []
        for organization in ids:
            warm += timed(lambda o=organization, f=figure: f(portal_id, o), 8, None)
        aim = "< 50 ms" if label == "University" else ""
        lines.append(row(f"{label} (each of {len(ids)}), all terms, cold", cold, aim))
        lines.append(row(f"{label} (each of {len(ids)}), all terms, warm", warm, ""))
    return lines + [""]


def measure_stage_changes(count: int) -> list[str]:
    """Time `count` moves to the next funnel stage through the program service.

    Each move commits, so the time includes the summary refresh (and the
    rollups, where the code keeps them) that the flush hook runs.
    """
    from b24app.program.services.stages import change_stage

    next_stage = {"new": "screening", "screening": "interview", "interview": "offer"}
    portal_id = db.session.execute(sa.select(Portal.id)).scalar_one()
    candidates = db.session.execute(
        sa.text(
            "SELECT id, stage FROM application WHERE stage IN "
            "('new', 'screening', 'interview') ORDER BY md5(id::text) LIMIT :count"
        ),
        {"count": count},
    ).all()
    db.session.rollback()

    durations = []
    rollup_seconds = time_rollup_maintenance()
    started = time.perf_counter()
    for application_id, stage in candidates:
        begun = time.perf_counter()
        change_stage(portal_id, application_id, next_stage[stage], from_crm=True)
        durations.append((time.perf_counter() - begun) * 1000)
    total = time.perf_counter() - started
    lines = [
        "| Write | Runs | p50 ms | p95 ms | Aim |",
        "| --- | --- | --- | --- | --- |",
        row("Stage change with its commit", durations, ""),
        "",
        f"{len(durations)} stage changes took {total:.1f} s in all",
    ]
    if rollup_seconds:
        lines[-1] += f", {sum(rollup_seconds):.1f} s of it in rollup maintenance"
    return [*lines[:-1], lines[-1] + ".", ""]


def time_rollup_maintenance() -> list[float]:
    """Time the rollup steps of each summary refresh, where the code has them."""
    try:
        from b24app.analytics import rollup_writes
    except ImportError:
        return []

    spent: list[float] = []
    for name in ("take_share", "apply_refresh"):
        original = getattr(rollup_writes, name)

        def timed_step(*arguments, original=original):
            begun = time.perf_counter()
            try:
                return original(*arguments)
            finally:
                spent.append(time.perf_counter() - begun)

        setattr(rollup_writes, name, timed_step)
    return spent


def measure_packs(portal_id: int, seeded: dict) -> list[str]:
    rng = random.Random(11)
    lines = [
        "| Report pack (XLSX) | Size | Seconds | Python heap peak |",
        "| --- | --- | --- | --- |",
    ]
    for university in rng.sample(seeded["university"][:20], PACKS):
        started = time.perf_counter()
        content = build_university_pack(portal_id, university, Filters(), "ru")
        seconds = time.perf_counter() - started
        db.session.rollback()

        tracemalloc.start()
        build_university_pack(portal_id, university, Filters(), "ru")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        db.session.rollback()
        lines.append(
            f"| university {university}, all terms | "
            f"{len(content) / 1024:.0f} KB | {seconds:.2f} | "
            f"{peak / 1024**2:.0f} MB |"
        )
    lines.append("")
    lines.append(
        "Aim: under 5 s per pack. The heap peak is measured by tracemalloc "
        "in a second, separate build of the same pack."
    )
    return lines + [""]


def explain_dashboard(portal_id: int) -> list[str]:
    statements: list[tuple[float, str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        context._bench_started = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        elapsed = (time.perf_counter() - context._bench_started) * 1000
        statements.append((elapsed, statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", before)
    sa.event.listen(db.engine, "after_cursor_execute", after)
    bump_data_version(portal_id)
    dashboard_figures(portal_id)
    sa.event.remove(db.engine, "before_cursor_execute", before)
    sa.event.remove(db.engine, "after_cursor_execute", after)
    db.session.rollback()

    lines = [
        f"Cold dashboard (all terms), {len(statements)} statements, "
        f"{sum(s[0] for s in statements):.0f} ms in SQL; the slowest:",
        "",
    ]
    for elapsed, statement, parameters in sorted(statements, reverse=True)[
        :EXPLAINED_STATEMENTS
    ]:
        tune_transaction()
        raw = db.session.connection().connection.cursor()
        raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        plan = [line[0] for line in raw.fetchall()]
        first_line = " ".join(statement.split())[:160]
        lines += [f"- {elapsed:.0f} ms: `{first_line}...`", "", "```"]
        lines += plan_excerpt(plan)
        lines += ["```", ""]
        db.session.rollback()
    return lines


def plan_excerpt(plan: list[str], limit: int = 18) -> list[str]:
    """Keep the plan's top `limit` lines plus its execution time line."""
    keep = [line for line in plan if "Buffers" not in line and "Planning:" not in line]
    return keep[:limit] + [line for line in keep[limit:] if "Execution Time" in line]


if __name__ == "__main__":
    main()
