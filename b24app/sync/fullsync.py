"""Full sync of a portal: a keyset export of companies, contacts and program deals.

Rows stream from `Client.list_all` (2,500 per HTTP request) and are stored and
committed in chunks together with the run's cursor, so memory stays flat and a
crashed run resumes after the last committed id. Ledger rows the run did not
see are tombstoned once every entity type has been read to the end.
"""

import logging
from collections.abc import Iterator
from datetime import timedelta
from itertools import islice
from typing import Any

from sqlalchemy import select

from b24app.extensions import db
from b24app.jobs import enqueue
from b24app.sync.apply import EntityKey, map_rows, store_isolated
from b24app.sync.client import sync_client
from b24app.sync.mapping import ENTITY_TYPES, MappingRules, parse_crm_id
from b24app.sync.models import CrmRecord, RunStatus, SyncRun
from b24app.sync.pending import resolve_pending
from b24app.sync.recruiters import refresh_recruiters
from b24app.sync.rules import load_rules
from b24app.sync.stages import apply_stage_moves
from b24app.sync.state import note_failure, sync_state
from b24app.sync.store import StoreResult, store_deletions
from b24app.tenancy.models import Portal, utcnow
from b24app.tenancy.scoping import scoped

log = logging.getLogger(__name__)

SYNC_QUEUE = "sync"
CHUNK_SIZE = 2500
LIST_METHODS = {
    "company": ("crm.company.list", ["*", "UF_*"]),
    # `*` leaves out multifields; the student's e-mail and phone are needed.
    "contact": ("crm.contact.list", ["*", "UF_*", "EMAIL", "PHONE"]),
    "deal": ("crm.deal.list", ["*", "UF_*"]),
}
# Retries resume from the checkpoint, so they may be generous.
RETRY_INTERVALS = [10, 30, 120, 300, 600]


def start_full_sync(portal_id: int, *, run_now: bool = False) -> SyncRun:
    """Create (or reuse the unfinished) full sync run of a portal and start it.

    The run is enqueued on the `sync` queue; with `run_now` it runs in this
    process instead (the CLI's `--now`, tests, the benchmark).
    """
    run = unfinished_run(portal_id)
    if run is None:
        run = SyncRun(portal_id=portal_id, kind="full", cursor={}, counts={}, totals={})
        db.session.add(run)
        db.session.commit()
        log.info("portal %s: full sync run %s created", portal_id, run.id)

    if run_now:
        run_full_sync(run.id)
        return run

    run.job_id = enqueue(
        run_full_sync,
        run.id,
        queue=SYNC_QUEUE,
        timeout=3 * 3600,
        retries=len(RETRY_INTERVALS),
        retry_intervals=RETRY_INTERVALS,
        job_id=f"sync-full-{run.id}-{run.attempts}",
        portal_id=portal_id,
    )
    db.session.commit()
    return run


def unfinished_run(portal_id: int) -> SyncRun | None:
    """Return the portal's newest full run that has not succeeded, or None."""
    statement = (
        scoped(SyncRun, portal_id)
        .where(SyncRun.kind == "full", SyncRun.status != RunStatus.SUCCEEDED)
        .order_by(SyncRun.id.desc())
        .limit(1)
    )
    return db.session.execute(statement).scalar_one_or_none()


def run_full_sync(run_id: int) -> dict[str, Any]:
    """Job: run or resume a full sync from its checkpoint; return its counts."""
    run = run_attempt(run_id, Attempt, "full sync")
    if run is None:
        return {}

    state = sync_state(run.portal_id)
    state.last_full_sync_at = run.finished_at
    db.session.commit()
    return dict(run.counts)


def run_attempt(run_id: int, attempt_class: type, label: str) -> SyncRun | None:
    """Run the next attempt of a run from its checkpoint, or return None if done.

    A failed attempt marks the run failed, records the failure on the portal's
    sync state and raises, so the job's retries resume it.
    """
    run = db.session.get(SyncRun, run_id)
    if run is None or run.status == RunStatus.SUCCEEDED:
        log.info("%s run %s is finished or gone; nothing to do", label, run_id)
        return None
    portal = db.session.get(Portal, run.portal_id)
    if portal is None or not portal.is_active:
        finish_run(run, RunStatus.FAILED, "portal is not active")
        return None

    run.status = RunStatus.RUNNING
    run.attempts += 1
    run.error = ""
    db.session.commit()
    log.info(
        "portal %s: %s run %s attempt %d from %s",
        run.portal_id,
        label,
        run.id,
        run.attempts,
        run.cursor or "the start",
    )

    attempt = attempt_class(run, *sync_client(portal), load_rules(run.portal_id))
    try:
        attempt.export_all()
    except Exception as error:
        db.session.rollback()
        attempt.count_requests()
        finish_run(run, RunStatus.FAILED, f"{type(error).__name__}: {error}")
        note_failure(run.portal_id, f"{label}: {error}")
        raise

    finish_run(run, RunStatus.SUCCEEDED, "")
    return run


class Attempt:
    """One attempt at a run: its client, request tally and mapping rules."""

    def __init__(self, run: SyncRun, client: Any, tally: Any, rules: MappingRules):
        self.run = run
        self.client = client
        self.tally = tally
        self.rules = rules
        self.requests_before = run.requests

    def count_requests(self) -> None:
        self.run.requests = self.requests_before + self.tally.total

    def export_all(self) -> None:
        run = self.run
        if not run.totals:
            run.totals = count_totals(self.client, self.rules)
            self.count_requests()
            db.session.commit()

        for entity_type in synced_types(self.rules):
            self.export_entity(entity_type)

        run.current_entity = "tombstones"
        tombstoned = tombstone_unseen(run, synced_types(self.rules))
        resolve_pending(run.portal_id)
        refresh_recruiters(run.portal_id, self.client)
        self.count_requests()
        db.session.commit()
        log.info(
            "portal %s: full sync run %s stored %s, tombstoned %d, %d requests",
            run.portal_id,
            run.id,
            run.counts,
            tombstoned,
            run.requests,
        )

    def export_entity(self, entity_type: str) -> None:
        run = self.run
        position = dict(run.cursor.get(entity_type) or {"last_id": 0, "done": False})
        if position["done"]:
            return
        run.current_entity = entity_type
        method, select_fields = LIST_METHODS[entity_type]
        rows = self.client.list_all(
            method,
            filter=self.list_filter(entity_type),
            select=select_fields,
            start_after=int(position["last_id"]),
        )

        for chunk in chunked(rows, CHUNK_SIZE):
            self.store_chunk(entity_type, chunk, position)

        position["done"] = True
        self.checkpoint(entity_type, position, 0)

    def list_filter(self, entity_type: str) -> dict[str, Any] | None:
        return list_filter(entity_type, self.rules)

    def store_chunk(
        self, entity_type: str, chunk: list[dict[str, Any]], position: dict
    ) -> None:
        """Store exported rows and commit them with the cursor past the last one."""
        run = self.run
        rejected: dict[EntityKey, str] = {}
        records = map_rows(run.portal_id, entity_type, chunk, self.rules, rejected)
        stored = StoreResult()
        store_isolated(
            run.portal_id,
            entity_type,
            records,
            stored,
            rejected,
            fresh=False,
            run_id=run.id,
        )
        position["last_id"] = last_chunk_id(chunk, position)
        self.note_rejected(entity_type, len(rejected))
        self.checkpoint(entity_type, position, len(chunk))
        apply_stage_moves(run.portal_id, stored.stage_moves)

    def note_rejected(self, entity_type: str, count: int) -> None:
        """Add records that could not be mapped or stored to the run's cursor."""
        if not count:
            return
        run = self.run
        rejected = dict(run.cursor.get("rejected") or {})
        rejected[entity_type] = rejected.get(entity_type, 0) + count
        run.cursor = {**run.cursor, "rejected": rejected}

    def checkpoint(self, entity_type: str, position: dict, stored: int) -> None:
        """Commit the stored chunk together with the cursor that points past it."""
        run = self.run
        # JSON columns are replaced, not mutated, so SQLAlchemy detects the change.
        run.cursor = {**run.cursor, entity_type: dict(position)}
        stored_before = int(run.counts.get(entity_type, 0))
        run.counts = {**run.counts, entity_type: stored_before + stored}
        self.count_requests()
        db.session.commit()


def last_chunk_id(chunk: list[dict[str, Any]], position: dict) -> int | None:
    """Return the highest valid id of an exported chunk, else the old position."""
    ids = [parse_crm_id(raw.get("ID")) for raw in chunk]
    valid = [bitrix_id for bitrix_id in ids if bitrix_id is not None]
    return max(valid) if valid else position.get("last_id")


def count_totals(client: Any, rules: MappingRules) -> dict[str, int]:
    """Ask the portal how many rows each export will read (one request per type)."""
    totals = {}
    for entity_type in synced_types(rules):
        method, _ = LIST_METHODS[entity_type]
        params = {"select": ["ID"], "filter": list_filter(entity_type, rules) or {}}
        totals[entity_type] = int(client.call(method, params).total or 0)
    return totals


def synced_types(rules: MappingRules) -> list[str]:
    """Entity types a full sync reads; deals only once the pipelines are known."""
    has_pipelines = rules.internships_category is not None or (
        rules.applications_category is not None
    )
    return [name for name in ENTITY_TYPES if name != "deal" or has_pipelines]


def list_filter(entity_type: str, rules: MappingRules) -> dict[str, Any] | None:
    if entity_type != "deal":
        return None
    categories = [
        category
        for category in (rules.internships_category, rules.applications_category)
        if category is not None
    ]
    return {"@CATEGORY_ID": categories}


def tombstone_unseen(run: SyncRun, entity_types: list[str]) -> int:
    """Tombstone ledger rows of a complete run that the export did not return.

    Rows written after the run started (by events) are left alone: the run may
    have passed their id before they existed.
    """
    tombstoned = 0
    for entity_type in entity_types:
        statement = (
            select(CrmRecord.bitrix_id)
            .where(
                CrmRecord.portal_id == run.portal_id,
                CrmRecord.entity_type == entity_type,
                CrmRecord.deleted_at.is_(None),
                CrmRecord.seen_run_id.is_distinct_from(run.id),
                CrmRecord.synced_at < run.started_at,
            )
            .order_by(CrmRecord.bitrix_id)
        )
        unseen = list(db.session.execute(statement).scalars())
        for start in range(0, len(unseen), CHUNK_SIZE):
            batch = unseen[start : start + CHUNK_SIZE]
            result: StoreResult = store_deletions(run.portal_id, entity_type, batch)
            tombstoned += result.deleted
    return tombstoned


def chunked(
    rows: Iterator[dict[str, Any]], size: int
) -> Iterator[list[dict[str, Any]]]:
    while True:
        chunk = list(islice(rows, size))
        if not chunk:
            return
        yield chunk


def progress(run: SyncRun) -> dict[str, Any]:
    """Counts, percentage and ETA of a run, for the settings page and the CLI."""
    processed, expected = run.processed, run.expected
    percent = min(100.0, 100.0 * processed / expected) if expected else 0.0
    elapsed = ((run.finished_at or utcnow()) - run.started_at).total_seconds()
    eta = None
    if run.status == RunStatus.RUNNING and processed and expected > processed:
        eta = timedelta(seconds=round(elapsed / processed * (expected - processed)))
    return {
        "run_id": run.id,
        "status": run.status,
        "entity": run.current_entity,
        "processed": processed,
        "expected": expected,
        "percent": round(percent, 1),
        "elapsed_seconds": round(elapsed, 1),
        "eta_seconds": eta.total_seconds() if eta else None,
        "counts": dict(run.counts),
        "requests": run.requests,
        "attempts": run.attempts,
        "error": run.error,
    }


def finish_run(run: SyncRun, status: RunStatus, error: str) -> None:
    run.status = status
    run.error = error[:2000]
    run.finished_at = utcnow() if status == RunStatus.SUCCEEDED else None
    db.session.commit()
