"""Idempotent writes of fetched CRM state into the ledger and the program tables.

Every path that brings CRM data in (events, full sync, delta sync, offline
events, the read-back after the app's own writes) ends in `store_records` or
`store_deletions`. Both lock the ledger rows they touch, so two jobs writing the
same entity serialise, and both are safe to repeat.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update

from b24app.extensions import db
from b24app.sync.mapping import MappedRecord, values_to_json
from b24app.sync.models import CrmRecord
from b24app.sync.project import project_records, remove_rows
from b24app.sync.sql import upsert
from b24app.tenancy.models import utcnow

log = logging.getLogger(__name__)

# Ledger columns an accepted record overwrites.
LEDGER_COLUMNS = (
    "kind",
    "date_modify",
    "content_hash",
    "data",
    "refs",
    "deleted_at",
    "pending",
    "seen_run_id",
    "synced_at",
)


@dataclass
class StoreResult:
    """Counts by outcome of one store call, and the ids it applied by kind."""

    applied: int = 0
    unchanged: int = 0
    echoes: int = 0
    stale: int = 0
    deleted: int = 0
    pending: int = 0
    changed_kinds: dict[str, list[int]] = field(default_factory=dict)
    # Application stage changes to run through the program after the commit.
    stage_moves: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: "StoreResult") -> None:
        for name in ("applied", "unchanged", "echoes", "stale", "deleted", "pending"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.stage_moves.extend(other.stage_moves)
        for kind, ids in other.changed_kinds.items():
            self.changed_kinds.setdefault(kind, []).extend(ids)


def store_records(
    portal_id: int,
    entity_type: str,
    records: Iterable[MappedRecord],
    *,
    run_id: int | None = None,
    fresh: bool = True,
    written: bool = False,
) -> StoreResult:
    """Upsert fetched records of one entity type; the caller commits.

    `fresh` means the records were read just now for this entity (an event or a
    write read-back), so they may bring a tombstoned entity back. A bulk export
    may do so only with a DATE_MODIFY later than the tombstone. `written` marks
    the state as the app's own write, so its echo event is recognised.
    """
    latest = _latest_per_id(records)
    result = StoreResult()
    if not latest:
        return result

    existing = _lock_ledger(portal_id, entity_type, list(latest))
    accepted: list[MappedRecord] = []
    seen_only: list[int] = []
    previous_kinds: dict[int, str] = {}

    for bitrix_id, record in latest.items():
        row = existing.get(bitrix_id)
        verdict = _verdict(row, record, fresh)
        if verdict == "apply":
            accepted.append(record)
            if row is not None and row.kind and not row.deleted_at:
                previous_kinds[bitrix_id] = row.kind
            continue
        seen_only.append(bitrix_id)
        setattr(result, verdict, getattr(result, verdict) + 1)
        if verdict == "unchanged" and row is not None and row.written_hash:
            result.echoes += int(row.written_hash == record.content_hash)

    _mark_seen(portal_id, entity_type, seen_only, run_id)
    _write_ledger(portal_id, accepted, run_id, written)
    _drop_kind_changes(portal_id, accepted, previous_kinds)

    pending = project_records(portal_id, accepted, result.stage_moves, written=written)
    _set_pending(portal_id, entity_type, latest, pending)
    result.applied = len(accepted)
    result.pending = len(pending)
    for record in accepted:
        result.changed_kinds.setdefault(record.kind, []).append(record.bitrix_id)
    return result


def store_deletions(
    portal_id: int, entity_type: str, bitrix_ids: Iterable[int]
) -> StoreResult:
    """Tombstone entities the CRM no longer has; unknown ids get a tombstone too."""
    ids = sorted(set(bitrix_ids))
    result = StoreResult()
    if not ids:
        return result

    existing = _lock_ledger(portal_id, entity_type, ids)
    moment = utcnow()
    by_kind: dict[str, list[int]] = {}
    rows = []
    for bitrix_id in ids:
        row = existing.get(bitrix_id)
        if row is not None and row.deleted_at is not None:
            continue
        if row is not None and row.kind:
            by_kind.setdefault(row.kind, []).append(bitrix_id)
        rows.append(
            {
                "portal_id": portal_id,
                "entity_type": entity_type,
                "bitrix_id": bitrix_id,
                "deleted_at": moment,
                "pending": "",
                "synced_at": moment,
            }
        )

    if rows:
        upsert(CrmRecord, rows, ("portal_id", "entity_type", "bitrix_id"))
    for kind, kind_ids in by_kind.items():
        remove_rows(portal_id, kind, kind_ids)
    result.deleted = len(rows)
    return result


def _latest_per_id(records: Iterable[MappedRecord]) -> dict[int, MappedRecord]:
    """Keep one record per id, the newest by DATE_MODIFY, in ascending id order."""
    latest: dict[int, MappedRecord] = {}
    for record in records:
        known = latest.get(record.bitrix_id)
        if known is None or _not_older(record.date_modify, known.date_modify):
            latest[record.bitrix_id] = record
    return dict(sorted(latest.items()))


def _lock_ledger(
    portal_id: int, entity_type: str, bitrix_ids: list[int]
) -> dict[int, CrmRecord]:
    # Locking in id order keeps two jobs with overlapping sets from deadlocking.
    statement = (
        select(CrmRecord)
        .where(
            CrmRecord.portal_id == portal_id,
            CrmRecord.entity_type == entity_type,
            CrmRecord.bitrix_id.in_(bitrix_ids),
        )
        .order_by(CrmRecord.bitrix_id)
        .with_for_update()
    )
    rows = db.session.execute(statement).scalars()
    return {row.bitrix_id: row for row in rows}


def _verdict(row: CrmRecord | None, record: MappedRecord, fresh: bool) -> str:
    """Decide between "apply", "stale" and "unchanged" for one fetched record."""
    if row is None:
        return "apply"
    if row.deleted_at is not None:
        revived_later = _after(record.date_modify, row.deleted_at)
        return "apply" if fresh or revived_later else "stale"
    if not _not_older(record.date_modify, row.date_modify):
        return "stale"
    if row.content_hash == record.content_hash and not row.pending:
        return "unchanged"
    return "apply"


def _not_older(candidate: datetime | None, current: datetime | None) -> bool:
    # DATE_MODIFY has one-second resolution, so an equal value is accepted:
    # it is the same edit or a later one within the same second.
    if candidate is None or current is None:
        return True
    return candidate >= current


def _after(candidate: datetime | None, moment: datetime) -> bool:
    return candidate is not None and candidate > moment


def _mark_seen(
    portal_id: int, entity_type: str, bitrix_ids: list[int], run_id: int | None
) -> None:
    if not bitrix_ids or run_id is None:
        return
    # `synced_at` moves too, because a full and a university run may overlap.
    # The later run overwrites `seen_run_id`, so the other run's tombstone pass
    # needs the time to know the row was seen alive after it started.
    db.session.execute(
        update(CrmRecord)
        .where(
            CrmRecord.portal_id == portal_id,
            CrmRecord.entity_type == entity_type,
            CrmRecord.bitrix_id.in_(bitrix_ids),
        )
        .values(seen_run_id=run_id, synced_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _write_ledger(
    portal_id: int, records: list[MappedRecord], run_id: int | None, written: bool
) -> None:
    if not records:
        return
    moment = utcnow()
    rows = []
    for record in records:
        row = {
            "portal_id": portal_id,
            "entity_type": record.entity_type,
            "bitrix_id": record.bitrix_id,
            "kind": record.kind,
            "date_modify": record.date_modify,
            "content_hash": record.content_hash,
            "data": values_to_json(record.values),
            "refs": record.refs,
            "deleted_at": None,
            "pending": "",
            "seen_run_id": run_id,
            "synced_at": moment,
        }
        if written:
            row["written_hash"] = record.content_hash
        rows.append(row)

    columns = LEDGER_COLUMNS + (("written_hash",) if written else ())
    key = ("portal_id", "entity_type", "bitrix_id")
    upsert(CrmRecord, rows, key, columns, newer_only=True)


def _drop_kind_changes(
    portal_id: int, records: list[MappedRecord], previous_kinds: dict[int, str]
) -> None:
    """Remove the old program row of entities that moved to another table."""
    moved: dict[str, list[int]] = {}
    for record in records:
        old_kind = previous_kinds.get(record.bitrix_id)
        if old_kind and old_kind != record.kind:
            moved.setdefault(old_kind, []).append(record.bitrix_id)

    for old_kind, ids in moved.items():
        log.info(
            "portal %s: %d %s row(s) changed kind in the CRM",
            portal_id,
            len(ids),
            old_kind,
        )
        remove_rows(portal_id, old_kind, ids)


def _set_pending(
    portal_id: int,
    entity_type: str,
    records: dict[int, MappedRecord],
    pending: dict[int, str],
) -> None:
    for bitrix_id, reason in pending.items():
        log.debug(
            "portal %s: %s %s waits: %s", portal_id, entity_type, bitrix_id, reason
        )
    reasons: dict[str, list[int]] = {}
    for bitrix_id, reason in pending.items():
        reasons.setdefault(reason, []).append(bitrix_id)

    for reason, ids in reasons.items():
        db.session.execute(
            update(CrmRecord)
            .where(
                CrmRecord.portal_id == portal_id,
                CrmRecord.entity_type == entity_type,
                CrmRecord.bitrix_id.in_(ids),
            )
            .values(pending=reason[:120])
            .execution_options(synchronize_session=False)
        )
