"""Fetch changed entities and store them, deleted ones as tombstones.

Shared by the inbox job and the offline-event reader: both reduce a batch of
events to "changed" and "deleted" id sets per entity type first.
"""

import logging
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError

from b24app.extensions import db
from b24app.sync.fetch import fetch_entities
from b24app.sync.mapping import (
    ENTITY_TYPES,
    MappedRecord,
    MappingRules,
    map_record,
    parse_crm_id,
)
from b24app.sync.store import StoreResult, store_deletions, store_records

log = logging.getLogger(__name__)

EntityKey = tuple[str, int]

# Database errors caused by the connection or a lock, not by the record. They
# propagate, so the job is retried instead of the record being rejected.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def apply_changes(
    portal_id: int,
    client: Any,
    rules: MappingRules,
    changed: dict[str, set[int]],
    deleted: dict[str, set[int]],
    result: StoreResult,
    rejected: dict[EntityKey, str] | None = None,
) -> dict[EntityKey, str]:
    """Read `changed` entities (50 per request) and store them; tombstone `deleted`.

    A delete wins over a change of the same entity, since Bitrix24 never reuses
    an id. An entity the CRM reports as not found is tombstoned. Returns the
    entities that could not be read, with the error code of each; the caller
    keeps their events for a retry. A record that was read but cannot be mapped
    or stored is skipped, so it cannot hold back the others. It goes into
    `rejected` with the error, because a retry would fail the same way. The
    caller commits.
    """
    failed: dict[EntityKey, str] = {}
    rejected = {} if rejected is None else rejected
    for entity_type in ENTITY_TYPES:
        removed = deleted.get(entity_type, set())
        fetched = fetch_entities(
            client, entity_type, changed.get(entity_type, set()) - removed
        )
        records = map_records(portal_id, entity_type, fetched.found, rules, rejected)

        store_isolated(portal_id, entity_type, records, result, rejected)
        result.add(store_deletions(portal_id, entity_type, removed | fetched.missing))
        for bitrix_id, error in fetched.failed.items():
            failed[(entity_type, bitrix_id)] = error.code or type(error).__name__
    return failed


def map_records(
    portal_id: int,
    entity_type: str,
    found: dict[int, dict[str, Any]],
    rules: MappingRules,
    rejected: dict[EntityKey, str],
) -> list[MappedRecord]:
    """Map fetched records; a record that cannot be mapped goes into `rejected`."""
    records = []
    for bitrix_id, raw in found.items():
        try:
            records.append(map_record(entity_type, raw, rules))
        except (KeyError, TypeError, ValueError) as error:
            reject(portal_id, (entity_type, bitrix_id), error, rejected)
    return records


def map_rows(
    portal_id: int,
    entity_type: str,
    rows: list[dict[str, Any]],
    rules: MappingRules,
    rejected: dict[EntityKey, str],
) -> list[MappedRecord]:
    """Map exported rows; a row that cannot be mapped goes into `rejected`."""
    records = []
    for raw in rows:
        try:
            records.append(map_record(entity_type, raw, rules))
        except (KeyError, TypeError, ValueError) as error:
            key = (entity_type, parse_crm_id(raw.get("ID")) or 0)
            reject(portal_id, key, error, rejected)
    return records


def store_isolated(
    portal_id: int,
    entity_type: str,
    records: list[MappedRecord],
    result: StoreResult,
    rejected: dict[EntityKey, str],
    *,
    fresh: bool = True,
    run_id: int | None = None,
) -> None:
    """Store records in one savepoint; after an error, each in a savepoint of its own.

    The second pass finds the record the database rejects (a value too long,
    a broken link) and stores every other one. `fresh` and `run_id` are passed
    to `store_records`.
    """
    options = {"fresh": fresh, "run_id": run_id}
    try:
        with db.session.begin_nested():
            stored = store_records(portal_id, entity_type, records, **options)
    except TRANSIENT_ERRORS:
        raise
    except Exception as error:
        log.warning(
            "portal %s: storing %d %s records failed (%s); storing one by one",
            portal_id,
            len(records),
            entity_type,
            type(error).__name__,
        )
    else:
        result.add(stored)
        return

    for record in records:
        try:
            with db.session.begin_nested():
                stored = store_records(portal_id, entity_type, [record], **options)
        except TRANSIENT_ERRORS:
            raise
        except Exception as error:
            reject(portal_id, (entity_type, record.bitrix_id), error, rejected)
            continue
        result.add(stored)


def reject(
    portal_id: int, key: EntityKey, error: Exception, rejected: dict[EntityKey, str]
) -> None:
    """Note a record that cannot be applied, with a short reason, and log it.

    A database error's own message is taken without the SQL and parameters that
    SQLAlchemy adds, since those hold the record's personal data.
    """
    cause = getattr(error, "orig", None) or error
    lines = str(cause).splitlines() or [""]
    reason = f"{type(cause).__name__}: {lines[0]}"[:300]
    rejected[key] = reason
    log.error("portal %s: %s %s rejected: %s", portal_id, key[0], key[1], reason)
