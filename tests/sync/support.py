"""Helpers for sync tests: an installed emulated portal with the program's CRM
layout, edits made as a portal user, and a record-by-record mirror comparison."""

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis as redis_client
import requests
from rq import Queue, SimpleWorker

from b24app.emulator.testing import EmulatorServer
from b24app.extensions import db
from b24app.jobs import QUEUE_NAMES, get_jobs
from b24app.program.models import (
    Application,
    CrmMapping,
    Employer,
    Internship,
    Student,
    University,
)
from b24app.sync.client import add_request_listener, remove_request_listener
from b24app.sync.mapping import MappingRules, map_record
from b24app.sync.models import CrmRecord
from b24app.tenancy.models import Portal

UNIVERSITY_TYPE = "PARTNER"
STAGES = ("new", "screening", "interview", "offer", "hired", "rejected", "withdrawn")
STATUSES = ("draft", "open", "closed", "completed", "cancelled")
USER_FIELDS = {
    "student_number": ("contact", "STUDENT_NO", "string"),
    "course": ("contact", "COURSE", "integer"),
    "programme": ("contact", "PROGRAMME", "string"),
    "skills": ("contact", "SKILLS", "string"),
    "internship_deal": ("deal", "INTERN_DEAL", "integer"),
    "seats": ("deal", "SEATS", "integer"),
}


@dataclass
class SyncPortal:
    """An installed portal, its emulator and the CRM ids of the program layout."""

    server: EmulatorServer
    portal_id: int
    mapping: dict[str, Any]

    def admin(self, method: str, path: str, body: dict | None = None) -> Any:
        response = requests.request(
            method, f"{self.server.base_url}/_emulator/{path}", json=body, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()

    def add(self, entity: str, fields: dict[str, Any]) -> int:
        """Create an entity as portal user 1; fires the ADD event."""
        return self.admin("POST", f"entities/{entity}", {"fields": fields})["id"]

    def edit(self, entity: str, row_id: int, fields: dict[str, Any]) -> None:
        self.admin("PATCH", f"entities/{entity}/{row_id}", {"fields": fields})

    def remove(self, entity: str, row_id: int) -> None:
        self.admin("DELETE", f"entities/{entity}/{row_id}")

    def wait_events(self) -> None:
        assert self.server.state.events.wait_idle(20)

    def field(self, logical: str) -> str:
        return self.mapping["user_fields"][logical]

    def stage(self, name: str) -> str:
        return self.mapping["application_stage_ids"][name]

    def status(self, name: str) -> str:
        return self.mapping["internship_stage_ids"][name]

    @property
    def university_type(self) -> str:
        return self.mapping["university_company_type_id"]

    @property
    def internships(self) -> int:
        return self.mapping["internships_category_id"]

    @property
    def applications(self) -> int:
        return self.mapping["applications_category_id"]


def program_mapping(server: EmulatorServer, portal: Portal) -> dict[str, Any]:
    """The CrmMapping the program's install step stored, as a dict.

    Without that step (another part of the app not installed) the layout is
    created here instead.
    """
    row = db.session.execute(
        db.select(CrmMapping).where(CrmMapping.portal_id == portal.id)
    ).scalar_one_or_none()
    if row is None or row.applications_category_id is None:
        return set_up_program_crm(server, portal)
    return {
        "internships_category_id": row.internships_category_id,
        "applications_category_id": row.applications_category_id,
        "internship_stage_ids": dict(row.internship_stage_ids),
        "application_stage_ids": dict(row.application_stage_ids),
        "user_fields": dict(row.user_fields),
        "university_company_type_id": row.university_company_type_id,
    }


def set_up_program_crm(server: EmulatorServer, portal: Portal) -> dict[str, Any]:
    """Create the two pipelines and the user fields, and store the CrmMapping row."""
    state = server.state
    with state.lock:
        crm = state.crm
        internships = crm.add_category({"name": "Internships", "sort": 200})["id"]
        applications = crm.add_category({"name": "Applications", "sort": 300})["id"]
        user_fields = {}
        for logical, (entity, code, kind) in USER_FIELDS.items():
            crm.add_userfield(entity, {"FIELD_NAME": code, "USER_TYPE_ID": kind})
            user_fields[logical] = f"UF_CRM_{code}"
        for code, name in (("UC_SCREEN", "Screening"), ("UC_WITHDRAWN", "Withdrawn")):
            crm.add_status(
                f"DEAL_STAGE_{applications}",
                f"C{applications}:{code}",
                name,
                15,
                category_id=applications,
            )

    def stage_id(category: int, code: str) -> str:
        return f"C{category}:{code}"

    mapping = {
        "internships_category_id": internships,
        "applications_category_id": applications,
        "internship_stage_ids": {
            "draft": stage_id(internships, "NEW"),
            "open": stage_id(internships, "PREPARATION"),
            "closed": stage_id(internships, "EXECUTING"),
            "completed": stage_id(internships, "WON"),
            "cancelled": stage_id(internships, "LOSE"),
        },
        "application_stage_ids": {
            "new": stage_id(applications, "NEW"),
            "screening": stage_id(applications, "UC_SCREEN"),
            "interview": stage_id(applications, "PREPARATION"),
            "offer": stage_id(applications, "EXECUTING"),
            "hired": stage_id(applications, "WON"),
            "rejected": stage_id(applications, "LOSE"),
            "withdrawn": stage_id(applications, "UC_WITHDRAWN"),
        },
        "user_fields": user_fields,
        "university_company_type_id": UNIVERSITY_TYPE,
    }
    db.session.add(CrmMapping(portal_id=portal.id, **mapping))
    db.session.commit()
    return mapping


def run_jobs(app) -> None:
    """Run every queued job in this process with a burst worker."""
    redis = get_jobs(app).redis
    queues = [Queue(name, connection=redis) for name in QUEUE_NAMES]
    SimpleWorker(queues, connection=redis).work(burst=True)
    db.session.expire_all()


class RequestCounter:
    """Counts sync HTTP requests while active (a context manager)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def __call__(self, method: str, outcome: str, seconds: float) -> None:
        self.calls.append((method, outcome))

    def __enter__(self) -> "RequestCounter":
        add_request_listener(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        remove_request_listener(self)

    @property
    def total(self) -> int:
        return len(self.calls)


class StopAfter(RequestCounter):
    """Interrupts the sync by raising after `limit` successful CRM requests.

    Rate-limit retries and the users read do not count, so the interruption
    lands at the same point of the export however busy the machine is.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __call__(self, method: str, outcome: str, seconds: float) -> None:
        if outcome != "ok" or method == "user.get":
            return
        super().__call__(method, outcome, seconds)
        if self.total == self.limit:
            raise RuntimeError("worker killed in the middle of the sync")


def emulator_rows(server: EmulatorServer, entity: str) -> Iterator[dict[str, Any]]:
    with server.state.lock:
        table = server.state.crm.tables[entity]
        rows = [table.full(row) for row in table.rows.values()]
    yield from rows


MODELS = {
    "university": University,
    "employer": Employer,
    "student": Student,
    "internship": Internship,
    "application": Application,
}


def mirror_differences(sync: SyncPortal) -> list[str]:
    """Compare every emulator record with the ledger and the program tables.

    Returns human-readable differences; an empty list means an exact mirror.
    """
    db.session.expire_all()
    mapping = db.session.execute(
        db.select(CrmMapping).where(CrmMapping.portal_id == sync.portal_id)
    ).scalar_one()
    rules = MappingRules.from_mapping(mapping)
    ledger = {
        (entry.entity_type, entry.bitrix_id): entry
        for entry in db.session.execute(
            db.select(CrmRecord).where(CrmRecord.portal_id == sync.portal_id)
        ).scalars()
    }
    rows = {
        kind: {
            row.bitrix_id: row
            for row in db.session.execute(
                db.select(model).where(model.portal_id == sync.portal_id)
            ).scalars()
        }
        for kind, model in MODELS.items()
    }

    problems: list[str] = []
    records = [
        map_record(entity, raw, rules)
        for entity in ("company", "contact", "deal")
        for raw in emulator_rows(sync.server, entity)
    ]
    expected_live = {(record.entity_type, record.bitrix_id) for record in records}
    kinds = {(record.entity_type, record.bitrix_id): record.kind for record in records}
    for record in records:
        problems += _compare_record(record, ledger, rows, kinds)

    for (entity_type, bitrix_id), entry in ledger.items():
        alive = (entity_type, bitrix_id) in expected_live
        if entry.kind and entry.deleted_at is None and not alive:
            problems.append(f"{entity_type} {bitrix_id} not tombstoned")
    for kind, by_id in rows.items():
        entity_type = ENTITY_OF_KIND[kind]
        for bitrix_id, row in by_id.items():
            deleted = getattr(row, "deleted", False)
            if (
                bitrix_id
                and not deleted
                and (entity_type, bitrix_id) not in expected_live
            ):
                problems.append(
                    f"{kind} row for {entity_type} {bitrix_id} is not in the CRM"
                )
    return problems


ENTITY_OF_KIND = {
    "university": "company",
    "employer": "company",
    "student": "contact",
    "internship": "deal",
    "application": "deal",
}


# A row may wait for a linked entity only while that entity is not in the CRM.
WAIT_REFS = {
    "missing contact": ("contact", "contact", "student"),
    "missing internship": ("internship", "deal", "internship"),
    "missing employer": ("company", "company", "employer"),
}


def _compare_record(record, ledger, rows, kinds) -> list[str]:
    label = f"{record.entity_type} {record.bitrix_id}"
    if not record.kind:
        return []
    entry = ledger.get((record.entity_type, record.bitrix_id))
    if entry is None:
        return [f"{label} missing from the ledger"]
    if entry.deleted_at is not None:
        return [f"{label} tombstoned but alive in the CRM"]
    if entry.content_hash != record.content_hash:
        return [f"{label} ledger holds {entry.data}, CRM has {record.values}"]
    if entry.pending:
        ref, entity_type, kind = WAIT_REFS.get(entry.pending, ("", "", ""))
        linked = (entity_type, record.refs.get(ref))
        if not ref or kinds.get(linked) == kind:
            return [f"{label} still waits: {entry.pending}"]
        return []

    row = rows[record.kind].get(record.bitrix_id)
    if row is None:
        return [f"{label} has no {record.kind} row"]
    diffs = []
    for name, value in record.values.items():
        if name != "skills" and getattr(row, name) != value:
            diffs.append(
                f"{label} {name}: mirror {getattr(row, name)!r}, CRM {value!r}"
            )
    if getattr(row, "deleted", False):
        diffs.append(f"{label} marked deleted")
    return diffs


def populate(
    sync: SyncPortal,
    *,
    universities: int = 3,
    employers: int = 5,
    students: int = 120,
    internships: int = 12,
    applications: int = 200,
    other_deals: int = 5,
) -> dict[str, list[int]]:
    """Create program data in the emulator directly, without events (an import)."""
    crm = sync.server.state.crm
    ids: dict[str, list[int]] = {}
    with sync.server.state.lock:
        ids["university"] = [
            crm.add(
                "company",
                {"TITLE": f"University {n}", "COMPANY_TYPE": sync.university_type},
                1,
            )
            for n in range(universities)
        ]
        ids["employer"] = [
            crm.add("company", {"TITLE": f"Employer {n}", "INDUSTRY": "IT"}, 1)
            for n in range(employers)
        ]
        ids["student"] = [
            crm.add("contact", _student_fields(sync, n, ids["university"]), 1)
            for n in range(students)
        ]
        ids["internship"] = [
            crm.add("deal", _internship_fields(sync, n, ids["employer"]), 1)
            for n in range(internships)
        ]
        ids["application"] = [
            crm.add("deal", _application_fields(sync, n, ids), 1)
            for n in range(applications)
        ]
        ids["other"] = [
            crm.add("deal", {"TITLE": f"Sale {n}", "CATEGORY_ID": 0}, 1)
            for n in range(other_deals)
        ]
    return ids


def _student_fields(sync: SyncPortal, n: int, universities: list[int]) -> dict:
    return {
        "NAME": f"Student{n}",
        "LAST_NAME": "Generated",
        "COMPANY_ID": universities[n % len(universities)] if universities else None,
        "EMAIL": [{"VALUE": f"student{n}@uni.example.edu", "VALUE_TYPE": "WORK"}],
        sync.field("student_number"): f"N-{n}",
        sync.field("course"): 1 + n % 5,
        sync.field("programme"): "Computer Science",
    }


def _internship_fields(sync: SyncPortal, n: int, employers: list[int]) -> dict:
    return {
        "TITLE": f"Internship {n}",
        "CATEGORY_ID": sync.internships,
        "STAGE_ID": sync.status("open"),
        "COMPANY_ID": employers[n % len(employers)],
        sync.field("seats"): 1 + n % 4,
    }


def _application_fields(sync: SyncPortal, n: int, ids: dict[str, list[int]]) -> dict:
    students, internships = ids["student"], ids["internship"]
    # Pairs (student, internship) stay unique while n < students * internships.
    student = students[n % len(students)]
    internship = internships[(n // len(students) + n) % len(internships)]
    stages = list(sync.mapping["application_stage_ids"].values())
    return {
        "TITLE": f"Application {n}",
        "CATEGORY_ID": sync.applications,
        "STAGE_ID": stages[n % len(stages)],
        "CONTACT_ID": student,
        sync.field("internship_deal"): internship,
    }


def sync_command_env(
    app, emulator, *, burst: int = 50, rate: float = 2.0
) -> dict[str, str]:
    """Environment for a `b24app` child process that uses the test's services."""
    config = app.config
    settings = {
        "DATABASE_URL": config["DATABASE_URL"],
        "REDIS_URL": config["REDIS_URL"],
        "SECRET_KEY": config["SECRET_KEY"],
        "B24_TOKEN_KEY": config["B24_TOKEN_KEY"],
        "B24_CLIENT_ID": config["B24_CLIENT_ID"],
        "B24_CLIENT_SECRET": config["B24_CLIENT_SECRET"],
        "B24_ALLOW_INSECURE_PORTALS": "1",
        "B24_PORTAL_DOMAINS": emulator.domain,
        "B24_OAUTH_SERVERS": emulator.base_url + "/",
        # The client paces itself to the emulator's bucket instead of hitting it.
        "B24_RATE_LIMIT_BURST": str(burst),
        "B24_RATE_LIMIT_RATE": str(rate),
        "LOG_LEVEL": "WARNING",
    }
    return {**os.environ, **settings}


def empty_client_buckets(redis_url: str) -> None:
    """Delete the shared request buckets, which the install's requests filled.

    The child shares the bucket with the test process, so a full bucket would
    make it wait for the level the test left behind to drain.
    """
    connection = redis_client.Redis.from_url(redis_url)
    for key in connection.scan_iter("b24:limit:bucket:*"):
        connection.delete(key)
    connection.close()


def run_killed_child(
    portal_id: int, scope: str, method: str, count: int, env: dict, log_path: Path
) -> subprocess.CompletedProcess:
    """Run `sync_child.py`, which kills itself after `count` successful `method` calls.

    `scope` is a university id or "full". The child's stderr goes to `log_path`.
    """
    script = Path(__file__).with_name("sync_child.py")
    arguments = [str(portal_id), scope, method, str(count)]
    with log_path.open("w") as log_file:
        return subprocess.run(
            [sys.executable, str(script), *arguments],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            timeout=120,
        )
