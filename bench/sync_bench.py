"""Benchmark the CRM sync against the emulator, side by side with fast_bitrix24.

    .venv/bin/python bench/sync_bench.py [--records N] [--append docs/benchmarks.md]

The emulator runs in its own process with its default rate limit (a bucket of
50 requests that drains 2 per second). The script creates its own PostgreSQL
database (dropped at the end) and takes a free Redis database number, installs
the app into the emulated portal (program CRM layout included), seeds the CRM
with companies, contacts and program deals, then measures:

1. a full sync run as `b24app sync full --now` in a child process: HTTP
   requests, wall time and the child's peak RSS;
2. fast_bitrix24 `get_all` reading the same lists through a webhook;
3. a burst of 1,000 deal-update events applied by `process_inbox`;
4. event-to-mirror lag under steady load: users edit deals at a fixed rate,
   events go over HTTP to the app, an RQ worker process applies them.
"""

import argparse
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from b24app import create_app  # noqa: E402
from b24app.bitrix import TokenPair  # noqa: E402
from b24app.emulator.testing import QuietRequestHandler  # noqa: E402
from b24app.events.models import EventInbox, InboxStatus  # noqa: E402
from b24app.extensions import db  # noqa: E402
from b24app.portals.install import finish_setup  # noqa: E402
from b24app.program.models import CrmMapping  # noqa: E402
from b24app.settings import with_driver  # noqa: E402
from b24app.sync.client import add_request_listener  # noqa: E402
from b24app.sync.inbox import process_inbox  # noqa: E402
from b24app.sync.models import SyncRun  # noqa: E402
from b24app.tenancy.crypto import digest_secret  # noqa: E402
from b24app.tenancy.models import Portal, PortalState  # noqa: E402
from b24app.tenancy.store import token_cipher, write_tokens  # noqa: E402

POSTGRES_ADMIN = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
CLIENT_ID = "local.b24appbench0000.00000001"
CLIENT_SECRET = "bench-client-secret-0123456789abcdef"
FERNET_KEY = "Wl0z7nB8o3XW1m0E5GsHnqGm2b8s0T9cO8QK4yqv3Ac="


# -- the emulator process ----------------------------------------------------


def emulator_process(connection) -> None:
    """Serve one emulated portal and seed it on request (runs in a child)."""
    from b24app.emulator.testing import EmulatorServer

    server = EmulatorServer({"CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET})
    server.start()
    connection.send(server.base_url)
    while True:
        command, argument = connection.recv()
        if command == "stop":
            server.stop()
            return
        if command == "seed":
            connection.send(seed(server.state, **argument))
        elif command == "touch":
            connection.send(touch(server.state, **argument))


def seed(state, records: int, layout: dict) -> dict:
    """Create `records` CRM rows: 1% companies, 59% contacts, 40% program deals."""
    companies = max(10, records // 100)
    contacts = records * 59 // 100
    deals = records - companies - contacts
    internships = max(10, deals // 20)
    crm, fields = state.crm, layout["user_fields"]
    with state.lock:
        universities = [
            crm.add("company", {"TITLE": f"U{n}", "COMPANY_TYPE": layout["uni"]}, 1)
            for n in range(companies // 10)
        ]
        employers = [
            crm.add("company", {"TITLE": f"E{n}", "INDUSTRY": "IT"}, 1)
            for n in range(companies - len(universities))
        ]
        students = [
            crm.add(
                "contact",
                {
                    "NAME": f"Student{n}",
                    "LAST_NAME": "Generated",
                    "COMPANY_ID": universities[n % len(universities)],
                    "EMAIL": [{"VALUE": f"s{n}@uni.example.edu"}],
                    fields["student_number"]: f"N{n}",
                    fields["course"]: 1 + n % 5,
                },
                1,
            )
            for n in range(contacts)
        ]
        offers = [
            crm.add(
                "deal",
                {
                    "TITLE": f"Internship {n}",
                    "CATEGORY_ID": layout["internships"],
                    "COMPANY_ID": employers[n % len(employers)],
                },
                1,
            )
            for n in range(internships)
        ]
        for n in range(deals - internships):
            crm.add(
                "deal",
                {
                    "TITLE": f"Application {n}",
                    "CATEGORY_ID": layout["applications"],
                    "CONTACT_ID": students[n % len(students)],
                    fields["internship_deal"]: offers[
                        (n // len(students)) % len(offers)
                    ],
                },
                1,
            )
    return {name: len(table.rows) for name, table in crm.tables.items()}


def touch(state, count: int, category: int) -> list[int]:
    """Edit `count` deals of a pipeline without events; return their ids."""
    with state.lock:
        table = state.crm.tables["deal"]
        ids = [
            row_id
            for row_id, row in table.rows.items()
            if row["CATEGORY_ID"] == str(category)
        ][:count]
        for row_id in ids:
            state.crm.update("deal", row_id, {"TITLE": f"Burst {row_id}"}, 1)
    return ids


# -- setup -----------------------------------------------------------------


def reserve_redis() -> tuple[str, redis.Redis, str]:
    control = redis.Redis.from_url(f"{REDIS_BASE}/0")
    owner = uuid.uuid4().hex
    for number in range(15, 0, -1):
        if control.set(f"b24app:test-db-lock:{number}", owner, nx=True, ex=3600):
            return f"{REDIS_BASE}/{number}", control, f"b24app:test-db-lock:{number}"
    raise SystemExit("no free Redis database number")


def install(app, base_url: str, live_url: str) -> int:
    """Install the app the way the install page would, without a browser."""
    auth = requests.post(
        f"{base_url}/_emulator/app/install", json={}, timeout=30
    ).json()
    portal = Portal(
        member_id=auth["member_id"],
        domain=base_url.split("://", 1)[1],
        client_endpoint=auth["client_endpoint"],
        server_endpoint=auth["server_endpoint"],
        scopes=auth["scope"],
        state=PortalState.ACTIVE,
        token_version=0,
        application_token_digest=digest_secret(auth["application_token"]),
    )
    expires = datetime.now(UTC) + timedelta(seconds=int(auth["expires_in"]))
    pair = TokenPair(auth["access_token"], auth["refresh_token"], expires)
    write_tokens(portal, pair, token_cipher())
    db.session.add(portal)
    db.session.commit()
    app.config["B24_APP_URL"] = live_url
    finish_setup(portal)
    return portal.id


def layout_of(portal_id: int) -> dict:
    mapping = db.session.execute(
        db.select(CrmMapping).where(CrmMapping.portal_id == portal_id)
    ).scalar_one()
    return {
        "uni": mapping.university_company_type_id,
        "internships": mapping.internships_category_id,
        "applications": mapping.applications_category_id,
        "user_fields": dict(mapping.user_fields),
    }


def reset_rate_limit(base_url: str) -> None:
    limit = {"burst": 50, "rate": 2.0}
    requests.post(
        f"{base_url}/_emulator/limits", json={"rate_limit": limit}, timeout=10
    )


# -- measurements ----------------------------------------------------------


def measure_full_sync(portal_id: int, env: dict) -> dict:
    command = [
        str(ROOT / ".venv/bin/b24app"),
        "sync",
        "full",
        "--portal",
        str(portal_id),
    ]
    started = time.perf_counter()
    subprocess.run([*command, "--now"], env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    db.session.expire_all()
    run = db.session.execute(
        db.select(SyncRun).order_by(SyncRun.id.desc()).limit(1)
    ).scalar_one()
    return {
        "wall": wall,
        "requests": run.requests,
        "rss_mib": rss_kib / 1024,
        "counts": dict(run.counts),
        "status": run.status,
    }


def measure_fast_bitrix24(webhook: str, layout: dict, limit: float) -> dict:
    """Run the fast_bitrix24 export in a child process, stopped after `limit` s."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(
        target=fast_bitrix24_export, args=(webhook, layout, results)
    )
    started = time.perf_counter()
    child.start()
    child.join(timeout=limit)
    if child.is_alive():
        child.terminate()
        child.join()
        return {"wall": time.perf_counter() - started, "requests": None, "rows": None}
    return results.get(timeout=10)


def fast_bitrix24_export(webhook: str, layout: dict, results) -> None:
    import aiohttp
    from fast_bitrix24 import Bitrix

    counter = {"requests": 0}
    original = aiohttp.ClientSession._request

    async def counting(self, *args, **kwargs):
        counter["requests"] += 1
        return await original(self, *args, **kwargs)

    aiohttp.ClientSession._request = counting
    bitrix = Bitrix(webhook, verbose=False, ssl=False)
    categories = [layout["internships"], layout["applications"]]
    started = time.perf_counter()
    rows = len(bitrix.get_all("crm.company.list", {"select": ["*", "UF_*"]}))
    rows += len(
        bitrix.get_all("crm.contact.list", {"select": ["*", "UF_*", "EMAIL", "PHONE"]})
    )
    rows += len(
        bitrix.get_all(
            "crm.deal.list",
            {"select": ["*", "UF_*"], "filter": {"@CATEGORY_ID": categories}},
        )
    )
    wall = time.perf_counter() - started
    aiohttp.ClientSession._request = original
    results.put({"wall": wall, "requests": counter["requests"], "rows": rows})


def measure_burst(portal_id: int, connection, layout: dict) -> dict:
    connection.send(("touch", {"count": 1000, "category": layout["applications"]}))
    ids = connection.recv()
    rows = [
        EventInbox(
            portal_id=portal_id,
            event="ONCRMDEALUPDATE",
            entity_type="deal",
            entity_id=str(deal_id),
            dedupe_key=f"bench:{deal_id}",
            payload={},
            status=InboxStatus.PENDING,
        )
        for deal_id in ids
    ]
    db.session.add_all(rows)
    db.session.commit()
    calls: list[str] = []
    add_request_listener(lambda method, outcome, seconds: calls.append(method))
    started = time.perf_counter()
    applied = process_inbox(portal_id, [row.id for row in rows])
    return {
        "events": len(ids),
        "applied": applied,
        "requests": len(calls),
        "wall": time.perf_counter() - started,
    }


def measure_lag(base_url, portal_id, layout, env, rate: float, seconds: float) -> dict:
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/b24app"), "worker", "events"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3)
    deal_ids = [
        row_id
        for (row_id,) in db.session.execute(
            sa.text(
                "SELECT bitrix_id FROM application WHERE portal_id = :p "
                "ORDER BY bitrix_id LIMIT :n"
            ),
            {"p": portal_id, "n": int(rate * seconds)},
        )
    ]
    edited_at: dict[int, float] = {}
    started = time.time()
    for index, deal_id in enumerate(deal_ids):
        target = started + index / rate
        time.sleep(max(0.0, target - time.time()))
        requests.patch(
            f"{base_url}/_emulator/entities/deal/{deal_id}",
            json={"fields": {"TITLE": f"Steady {index}"}},
            timeout=10,
        )
        edited_at[deal_id] = time.time()
    lags = wait_for_lags(portal_id, edited_at)
    worker.terminate()
    worker.wait(timeout=30)
    return {
        "events": len(edited_at),
        "rate": rate,
        "median": statistics.median(lags),
        "p95": statistics.quantiles(lags, n=20)[18],
        "applied": len(lags),
    }


def wait_for_lags(portal_id: int, edited_at: dict[int, float]) -> list[float]:
    deadline = time.time() + 120
    while time.time() < deadline:
        db.session.expire_all()
        rows = db.session.execute(
            sa.select(EventInbox.entity_id, EventInbox.finished_at).where(
                EventInbox.portal_id == portal_id,
                EventInbox.status == InboxStatus.DONE,
                EventInbox.dedupe_key.not_like("bench:%"),
            )
        ).all()
        finished = {int(entity): moment for entity, moment in rows if entity.isdigit()}
        if all(deal_id in finished for deal_id in edited_at):
            return [
                finished[deal_id].timestamp() - edited
                for deal_id, edited in edited_at.items()
            ]
        time.sleep(0.5)
    raise SystemExit("events were not applied within 120 s")


# -- report ----------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {pages / 2**30:.0f} GiB RAM, "
        f"Python {platform.python_version()}, PostgreSQL and Redis on loopback"
    )


def report(args, size: dict, full: dict, fb: dict, burst: dict, lag: dict) -> str:
    records = sum(size.values())
    bound = -(-records // 2500)
    if fb["rows"] is None:
        fast_requests = "-"
        fast_wall = f"not finished, stopped after {fb['wall']:.0f} s"
    else:
        fast_requests = str(fb["requests"])
        fast_wall = f"{fb['wall']:.1f} s (into memory only, {fb['rows']:,} rows)"
    return "\n".join(
        [
            f"## CRM sync ({datetime.now(UTC):%Y-%m-%d})",
            "",
            f"Command: `.venv/bin/python bench/sync_bench.py --records {args.records}`",
            f"Machine: {machine()}.",
            f"Emulator: own process, default rate limit (bucket 50, 2 requests/s); "
            f"CRM {size}.",
            "",
            "| measurement | b24app sync | fast_bitrix24 1.8.14 `get_all` |",
            "| --- | --- | --- |",
            f"| full export of {records:,} records: HTTP requests | {full['requests']} "
            f"(ceil(N/2500) = {bound}) | {fast_requests} |",
            f"| full export: wall time | {full['wall']:.1f} s (fetch, map, store in "
            f"PostgreSQL, tombstone pass) | {fast_wall} |",
            f"| peak RSS of the sync process | {full['rss_mib']:.0f} MiB | - |",
            f"| burst of {burst['events']} deal updates: HTTP requests | "
            f"{burst['requests']} ({burst['wall']:.1f} s) | - |",
            f"| event-to-mirror lag, {lag['rate']:.0f} edits/s for "
            f"{lag['events'] / lag['rate']:.0f} s | median {lag['median']:.2f} s, "
            f"p95 {lag['p95']:.2f} s | - |",
            "",
            "Lag is measured from the end of the user's edit request on the emulator "
            "to `finished_at` of the event's inbox row (one RQ worker process, events "
            "delivered over HTTP to the app's event handler).",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--append", help="Markdown file to append the results to.")
    parser.add_argument("--lag-rate", type=float, default=10.0)
    parser.add_argument("--lag-seconds", type=float, default=30.0)
    parser.add_argument(
        "--fb-limit",
        type=float,
        default=240.0,
        help="Seconds before fast_bitrix24 is stopped.",
    )
    args = parser.parse_args()

    name = f"b24app_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(with_driver(POSTGRES_ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    database_url = POSTGRES_ADMIN.rpartition("/")[0] + f"/{name}"
    redis_url, control, lock_key = reserve_redis()
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    emulator = context.Process(target=emulator_process, args=(child_end,), daemon=True)
    emulator.start()
    base_url = parent_end.recv()
    host = base_url.split("://", 1)[1]
    config = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "B24_TOKEN_KEY": FERNET_KEY,
        "B24_CLIENT_ID": CLIENT_ID,
        "B24_CLIENT_SECRET": CLIENT_SECRET,
        "B24_ALLOW_INSECURE_PORTALS": True,
        "B24_PORTAL_DOMAINS": host,
        "B24_OAUTH_SERVERS": base_url + "/",
        "LOG_LEVEL": "WARNING",
    }
    env = {**os.environ, **{key: str(value) for key, value in config.items()}}
    env["B24_ALLOW_INSECURE_PORTALS"] = "1"
    app = create_app(config)
    try:
        with app.app_context():
            # The student search index uses trigram operators (as in migrations).
            with db.engine.begin() as connection:
                connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            db.create_all()
            server = make_server(
                "127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler
            )
            threading.Thread(target=server.serve_forever, daemon=True).start()
            live_url = f"http://127.0.0.1:{server.server_port}"
            portal_id = install(app, base_url, live_url)
            layout = layout_of(portal_id)
            parent_end.send(("seed", {"records": args.records, "layout": layout}))
            size = parent_end.recv()
            print("seeded", size, flush=True)

            reset_rate_limit(base_url)
            full = measure_full_sync(portal_id, env)
            print("full sync", full, flush=True)
            reset_rate_limit(base_url)
            hook = requests.post(f"{base_url}/_emulator/webhooks", json={}, timeout=10)
            fb = measure_fast_bitrix24(hook.json()["url"], layout, args.fb_limit)
            print("fast_bitrix24", fb, flush=True)
            reset_rate_limit(base_url)
            burst = measure_burst(portal_id, parent_end, layout)
            print("burst", burst, flush=True)
            reset_rate_limit(base_url)
            lag = measure_lag(
                base_url, portal_id, layout, env, args.lag_rate, args.lag_seconds
            )
            print("lag", lag, flush=True)
            text = report(args, size, full, fb, burst, lag)
            print(text)
            if args.append:
                with open(args.append, "a", encoding="utf-8") as handle:
                    handle.write("\n" + text)
            server.shutdown()
            db.session.remove()
            db.engine.dispose()
    finally:
        parent_end.send(("stop", None))
        emulator.join(timeout=10)
        with admin.connect() as connection:
            connection.execute(
                sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )
        redis.Redis.from_url(redis_url).flushdb()
        control.delete(lock_key)


if __name__ == "__main__":
    main()
