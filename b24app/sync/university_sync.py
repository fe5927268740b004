"""Sync of one university: its company, its students' contacts, their applications.

A run of kind "university" reads the university's company by id, the contacts
whose COMPANY_ID is that company (keyset export), and the application deals
of those contacts (an `@CONTACT_ID` filter of up to 500 ids at a time). It
stores them with the full sync's mapping and store calls and commits each chunk
together with the run's cursor, so a killed run resumes where it stopped.

Nothing outside the scope is tombstoned. Inside it, a ledger row the export
did not return is read again by id, because the CRM may have moved it to
another company or contact. A record the CRM still has is stored as it is now,
and only a "not found" tombstones it.
"""

import logging
from contextlib import nullcontext
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from b24app.extensions import db
from b24app.jobs import enqueue, get_jobs, job_is_waiting
from b24app.program.models import University
from b24app.sync.fetch import fetch_entities
from b24app.sync.fullsync import (
    CHUNK_SIZE,
    LIST_METHODS,
    RETRY_INTERVALS,
    SYNC_QUEUE,
    Attempt,
    chunked,
    run_attempt,
)
from b24app.sync.mapping import map_record
from b24app.sync.models import CrmRecord, RunStatus, SyncRun
from b24app.sync.stages import apply_stage_moves
from b24app.sync.store import StoreResult, store_deletions, store_records
from b24app.tenancy.scoping import scoped

log = logging.getLogger(__name__)

KIND = "university"
# Contact ids per `@CONTACT_ID` filter of the deal export.
CONTACT_CHUNK = 500
# Ledger rows read again by id per commit (50 per HTTP request).
CHECK_CHUNK = 500


class NotInCrm(Exception):
    """The university has no CRM company yet, so there is nothing to read."""


def start_university_sync(
    portal_id: int, university_id: int, *, run_now: bool = False
) -> SyncRun:
    """Create, resume or rejoin the university's sync run and start it.

    A run whose job is still queued or running is returned as it is, so two
    requests share one run. With `run_now` (the CLI's `--now`, tests) the run
    goes in this process even if its job is queued. Raises LookupError for a
    university outside the portal and NotInCrm for one without a company.
    """
    with _start_lock(portal_id, university_id):
        run = _claim_run(portal_id, university_id)
        if run.job_id and not run_now and job_is_waiting(run.job_id):
            log.info("portal %s: university sync run %s rejoined", portal_id, run.id)
            return run
        log.info(
            "portal %s: university %s sync run %s starts",
            portal_id,
            university_id,
            run.id,
        )
        if not run_now:
            run.job_id = enqueue(
                run_university_sync,
                run.id,
                queue=SYNC_QUEUE,
                timeout=3600,
                retries=len(RETRY_INTERVALS),
                retry_intervals=RETRY_INTERVALS,
                job_id=f"sync-university-{run.id}-{run.attempts}",
                portal_id=portal_id,
            )
            db.session.commit()
            return run

    run_university_sync(run.id)
    return run


def _start_lock(portal_id: int, university_id: int) -> Any:
    """Return a lock that makes concurrent starts for one university take turns.

    The check for a waiting job and the enqueue must not interleave, or two
    requests could each queue a job for the same run. Without Redis the row
    lock in `_claim_run` is the only guard.
    """
    redis = get_jobs().redis
    if redis is None:
        return nullcontext()
    name = f"b24app:sync-university-start:{portal_id}:{university_id}"
    return redis.lock(name, timeout=60, blocking_timeout=10)


def _claim_run(portal_id: int, university_id: int) -> SyncRun:
    """Return the university's unfinished run, or a new one; both committed."""
    # The row lock serialises starts where the Redis lock is missing (no Redis).
    university = db.session.execute(
        scoped(University, portal_id)
        .where(University.id == university_id)
        .with_for_update()
    ).scalar_one_or_none()
    if university is None:
        db.session.rollback()
        raise LookupError(f"university {university_id} not found")
    if university.bitrix_id is None:
        db.session.rollback()
        raise NotInCrm(f"university {university_id} has no CRM company yet")

    run = unfinished_run(portal_id, university_id)
    if run is None:
        run = SyncRun(
            portal_id=portal_id,
            kind=KIND,
            university_id=university.id,
            cursor={"company_id": university.bitrix_id},
            counts={},
            totals={},
        )
        db.session.add(run)
    db.session.commit()
    return run


def unfinished_run(portal_id: int, university_id: int) -> SyncRun | None:
    """Return the university's newest run that has not succeeded, or None."""
    statement = (
        scoped(SyncRun, portal_id)
        .where(
            SyncRun.kind == KIND,
            SyncRun.university_id == university_id,
            SyncRun.status != RunStatus.SUCCEEDED,
        )
        .order_by(SyncRun.id.desc())
        .limit(1)
    )
    return db.session.execute(statement).scalar_one_or_none()


def run_university_sync(run_id: int) -> dict[str, Any]:
    """Job: run or resume a university's sync from its checkpoint, return counts."""
    run = run_attempt(run_id, UniversityAttempt, "university sync")
    return dict(run.counts) if run is not None else {}


class UniversityAttempt(Attempt):
    """One attempt at a university run. The steps run in order, each resumable."""

    @property
    def company_id(self) -> int:
        return int(self.run.cursor["company_id"])

    def export_all(self) -> None:
        run = self.run
        if not run.totals:
            run.totals = self.count_totals()
            self.count_requests()
            db.session.commit()

        self.read_company()
        self.export_entity("contact")
        self.check_unseen("contact_check", "contact", self.scope_contacts())
        self.export_deals()
        self.check_unseen("deal_check", "deal", self.scope_deals())

        run.current_entity = "done"
        self.count_requests()
        db.session.commit()
        log.info(
            "portal %s: university %s sync run %s stored %s, tombstoned %s, "
            "%d requests",
            run.portal_id,
            run.university_id,
            run.id,
            run.counts,
            run.cursor.get("tombstoned", {}),
            run.requests,
        )

    def count_totals(self) -> dict[str, int]:
        """Count the students in the CRM and estimate their deals from the ledger."""
        contacts = self.client.call(
            LIST_METHODS["contact"][0],
            {"select": ["ID"], "filter": self.list_filter("contact")},
        )
        deals = db.session.execute(
            select(func.count(CrmRecord.id)).where(
                *self.scope_deals(), CrmRecord.deleted_at.is_(None)
            )
        ).scalar_one()
        return {"company": 1, "contact": int(contacts.total or 0), "deal": deals}

    def list_filter(self, entity_type: str) -> dict[str, Any] | None:
        return {"COMPANY_ID": self.company_id}

    def read_company(self) -> None:
        if (self.run.cursor.get("company") or {}).get("done"):
            return
        self.run.current_entity = "company"
        stored = self.read_by_id("company", [self.company_id])
        found = stored.applied + stored.unchanged + stored.stale
        self.checkpoint("company", {"done": True}, found)

    def export_deals(self) -> None:
        """Export the application deals of the students, CONTACT_CHUNK at a time."""
        run = self.run
        empty = {"after_contact": 0, "last_id": 0, "done": False}
        position = dict(run.cursor.get("deal") or empty)
        if position["done"]:
            return
        run.current_entity = "deal"
        category = self.rules.applications_category

        while category is not None:
            contacts = self.contact_ids(int(position["after_contact"]))
            if not contacts:
                break
            rows = self.client.list_all(
                LIST_METHODS["deal"][0],
                filter={"@CONTACT_ID": contacts, "CATEGORY_ID": category},
                select=LIST_METHODS["deal"][1],
                start_after=int(position["last_id"]),
            )
            for chunk in chunked(rows, CHUNK_SIZE):
                self.store_chunk("deal", chunk, position)
            position = {"after_contact": contacts[-1], "last_id": 0, "done": False}
            self.checkpoint("deal", position, 0)

        position["done"] = True
        self.checkpoint("deal", position, 0)

    def check_unseen(self, step: str, entity_type: str, scope: list[Any]) -> None:
        """Read again, by id, rows of the scope this run has not seen."""
        run = self.run
        position = dict(run.cursor.get(step) or {"last_id": 0, "done": False})
        if position["done"]:
            return
        run.current_entity = step

        while True:
            ids = list(
                db.session.execute(
                    select(CrmRecord.bitrix_id)
                    .where(
                        *scope,
                        CrmRecord.deleted_at.is_(None),
                        CrmRecord.seen_run_id.is_distinct_from(run.id),
                        CrmRecord.synced_at < run.started_at,
                        CrmRecord.bitrix_id > int(position["last_id"]),
                    )
                    .order_by(CrmRecord.bitrix_id)
                    .limit(CHECK_CHUNK)
                ).scalars()
            )
            if not ids:
                break
            stored = self.read_by_id(entity_type, ids)
            position["last_id"] = ids[-1]
            self.save_step(step, position)
            apply_stage_moves(run.portal_id, stored.stage_moves)

        position["done"] = True
        self.save_step(step, position)

    def save_step(self, step: str, position: dict) -> None:
        """Commit a step's cursor without adding to the counts of exported rows."""
        self.run.cursor = {**self.run.cursor, step: dict(position)}
        self.count_requests()
        db.session.commit()

    def read_by_id(self, entity_type: str, ids: list[int]) -> StoreResult:
        """Store what the CRM has for `ids` and tombstone what it has not.

        A per-record error other than "not found" raises, so the job retries.
        The caller commits.
        """
        run = self.run
        fetched = fetch_entities(self.client, entity_type, ids)
        if fetched.failed:
            raise next(iter(fetched.failed.values()))

        records = [
            map_record(entity_type, raw, self.rules) for raw in fetched.found.values()
        ]
        stored = store_records(
            run.portal_id, entity_type, records, run_id=run.id, fresh=True
        )
        deleted = store_deletions(run.portal_id, entity_type, fetched.missing)
        if deleted.deleted:
            tombstoned = dict(run.cursor.get("tombstoned") or {})
            tombstoned[entity_type] = tombstoned.get(entity_type, 0) + deleted.deleted
            run.cursor = {**run.cursor, "tombstoned": tombstoned}
        return stored

    def contact_ids(self, after: int) -> list[int]:
        """Return the next CONTACT_CHUNK live student contacts of the university."""
        statement = (
            select(CrmRecord.bitrix_id)
            .where(
                *self.scope_contacts(),
                CrmRecord.deleted_at.is_(None),
                CrmRecord.bitrix_id > after,
            )
            .order_by(CrmRecord.bitrix_id)
            .limit(CONTACT_CHUNK)
        )
        return list(db.session.execute(statement).scalars())

    def scope_contacts(self) -> list[Any]:
        """Ledger conditions for the contacts whose company is the university's."""
        return [
            CrmRecord.portal_id == self.run.portal_id,
            CrmRecord.entity_type == "contact",
            CrmRecord.refs["company"].as_integer() == self.company_id,
        ]

    def scope_deals(self) -> list[Any]:
        """Ledger conditions for deals of those contacts, tombstoned ones included.

        A deleted contact still counts, because its deals stay in the CRM.
        """
        contact = aliased(CrmRecord)
        contacts = select(contact.bitrix_id).where(
            contact.portal_id == self.run.portal_id,
            contact.entity_type == "contact",
            contact.refs["company"].as_integer() == self.company_id,
        )
        return [
            CrmRecord.portal_id == self.run.portal_id,
            CrmRecord.entity_type == "deal",
            CrmRecord.refs["contact"].as_integer().in_(contacts),
        ]
