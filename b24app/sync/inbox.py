"""Apply CRM events from the inbox: claim, coalesce per entity, fetch, store.

A burst of updates for one entity is one fetch. The job claims every pending
row of the portal, not only the ids it was enqueued with, and groups them by
(entity type, id). It then reads each changed entity once, 50 per HTTP request.
Rows stay locked (`FOR UPDATE SKIP LOCKED`) until the transaction that stores
their entities commits, so a crash leaves them pending for the sweeper and a
concurrent job skips them.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from b24app import metrics
from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db
from b24app.sync.apply import apply_changes
from b24app.sync.client import sync_client
from b24app.sync.mapping import ENTITY_TYPES, parse_crm_id
from b24app.sync.pending import resolve_pending
from b24app.sync.rules import load_rules
from b24app.sync.stages import apply_stage_moves
from b24app.sync.state import note_applied, note_failure
from b24app.sync.store import StoreResult
from b24app.tenancy.models import Portal, utcnow

log = logging.getLogger(__name__)

CLAIMABLE = (InboxStatus.PENDING, InboxStatus.QUEUED)
# Rows claimed per transaction; 5,000 rows of a burst are at most 100 requests.
CLAIM_LIMIT = 5000


class EntitiesNotFetched(Exception):
    """Some entities could not be read; their inbox rows wait for a retry."""


@dataclass
class Claimed:
    """Claimed inbox rows grouped by the entity they are about."""

    rows: list[EventInbox]
    changed: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    deleted: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    other: list[EventInbox] = field(default_factory=list)
    # Rows about a CRM entity whose id is not a valid Bitrix24 id.
    invalid: list[EventInbox] = field(default_factory=list)
    rows_by_entity: dict[tuple[str, int], list[EventInbox]] = field(
        default_factory=lambda: defaultdict(list)
    )


def process_inbox(portal_id: int, inbox_ids: list[int]) -> int:
    """Job: apply every pending CRM event of the portal; return rows finished.

    `inbox_ids` are the rows the job was enqueued for. Rows of the same portal
    that arrived meanwhile are taken too. Rows another job already finished are
    skipped, so running the job twice is harmless.
    """
    portal = db.session.get(Portal, portal_id)
    if portal is None or not portal.is_active:
        log.info("portal %s is not active; %d rows skipped", portal_id, len(inbox_ids))
        return 0

    client, tally = sync_client(portal)
    rules = load_rules(portal_id)
    finished = 0
    failed: dict[tuple[str, int], str] = {}
    result = StoreResult()

    while True:
        claimed = claim_rows(portal_id)
        if not claimed.rows:
            break
        try:
            done, failed = apply_claimed(portal_id, client, rules, claimed, result)
        except Exception as error:
            db.session.rollback()
            note_failure(portal_id, f"events: {error}")
            record_attempt(portal_id, [row.id for row in claimed.rows], error)
            metrics.observe_event_processed("failed")
            raise
        finished += done
        db.session.commit()
        apply_stage_moves(portal_id, result.stage_moves)
        if failed or len(claimed.rows) < CLAIM_LIMIT:
            break

    resolve_pending(
        portal_id, universities_changed="university" in result.changed_kinds
    )
    db.session.commit()
    log.info(
        "portal %s: %d inbox rows applied with %d requests (jobs ids %s..)",
        portal_id,
        finished,
        tally.total,
        inbox_ids[:3],
    )
    if failed:
        reasons = sorted(set(failed.values()))
        note_failure(portal_id, f"events: {len(failed)} entities not read: {reasons}")
        raise EntitiesNotFetched(
            f"portal {portal_id}: {len(failed)} entities could not be read "
            f"({', '.join(reasons[:3])}); their events wait for a retry"
        )
    return finished


def claim_rows(portal_id: int, limit: int = CLAIM_LIMIT) -> Claimed:
    """Lock up to `limit` claimable rows of the portal, oldest first, and group them."""
    rows = (
        db.session.execute(
            select(EventInbox)
            .where(EventInbox.portal_id == portal_id, EventInbox.status.in_(CLAIMABLE))
            .order_by(EventInbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    claimed = Claimed(rows=rows)
    for row in rows:
        entity_id = parse_crm_id(row.entity_id)
        if row.entity_type not in ENTITY_TYPES:
            claimed.other.append(row)
            continue
        if entity_id is None:
            claimed.invalid.append(row)
            continue
        key = (row.entity_type, entity_id)
        claimed.rows_by_entity[key].append(row)
        if row.event.upper().endswith("DELETE"):
            claimed.deleted[row.entity_type].add(entity_id)
        else:
            claimed.changed[row.entity_type].add(entity_id)
    return claimed


def apply_claimed(
    portal_id: int, client: Any, rules: Any, claimed: Claimed, result: StoreResult
) -> tuple[int, dict[tuple[str, int], str]]:
    """Fetch and store the claimed entities, adding up outcomes in `result`.

    Returns the number of rows finished and the entities that could not be
    read, with the error code of each.
    """
    rejected: dict[tuple[str, int], str] = {}
    failed = apply_changes(
        portal_id, client, rules, claimed.changed, claimed.deleted, result, rejected
    )

    moment = utcnow()
    failed_rows = {row.id for key in failed for row in claimed.rows_by_entity[key]}
    rejected_rows = {
        row.id: reason
        for key, reason in rejected.items()
        for row in claimed.rows_by_entity[key]
    }
    rejected_rows.update({row.id: "invalid entity id" for row in claimed.invalid})
    done = [
        row
        for row in claimed.rows
        if row.id not in failed_rows and row.id not in rejected_rows
    ]
    for row in done:
        row.status = InboxStatus.DONE
        row.attempts += 1
        row.finished_at = moment
        row.error = ""
    for row in claimed.rows:
        if row.id in failed_rows:
            row.attempts += 1
            row.error = "entity could not be read; retried later"
        elif row.id in rejected_rows:
            # A retry would fail the same way, so the row stops here.
            row.status = InboxStatus.FAILED
            row.attempts += 1
            row.finished_at = moment
            row.error = rejected_rows[row.id]
            metrics.observe_event_processed("failed")

    _observe(portal_id, done, result, moment)
    return len(done), failed


def record_attempt(portal_id: int, inbox_ids: list[int], error: Exception) -> None:
    """Count a failed attempt on rows whose transaction was rolled back."""
    db.session.execute(
        update(EventInbox)
        .where(EventInbox.portal_id == portal_id, EventInbox.id.in_(inbox_ids))
        .values(attempts=EventInbox.attempts + 1, error=str(error)[:500])
    )
    db.session.commit()


def _observe(
    portal_id: int, done: list[EventInbox], result: StoreResult, moment: datetime
) -> None:
    for _ in done:
        metrics.observe_event_processed("done")
    lags = [
        (moment - row.received_at).total_seconds() for row in done if row.received_at
    ]
    note_applied(
        portal_id, lags, newest_event=max((r.received_at for r in done), default=None)
    )
    log.debug(
        "portal %s: %d applied, %d unchanged (%d echoes), %d stale, %d deleted, "
        "%d pending",
        portal_id,
        result.applied,
        result.unchanged,
        result.echoes,
        result.stale,
        result.deleted,
        result.pending,
    )
