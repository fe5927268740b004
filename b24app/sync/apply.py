"""Fetch changed entities and store them, deleted ones as tombstones.

Shared by the inbox job and the offline-event reader: both reduce a batch of
events to "changed" and "deleted" id sets per entity type first.
"""

from typing import Any

from b24app.sync.fetch import fetch_entities
from b24app.sync.mapping import ENTITY_TYPES, MappingRules, map_record
from b24app.sync.store import StoreResult, store_deletions, store_records

EntityKey = tuple[str, int]


def apply_changes(
    portal_id: int,
    client: Any,
    rules: MappingRules,
    changed: dict[str, set[int]],
    deleted: dict[str, set[int]],
    result: StoreResult,
) -> dict[EntityKey, str]:
    """Read `changed` entities (50 per request) and store them; tombstone `deleted`.

    A delete wins over a change of the same entity, since Bitrix24 never reuses
    an id. An entity the CRM reports as not found is tombstoned. Returns the
    entities that could not be read, with the error code of each; the caller
    keeps their events for a retry. The caller commits.
    """
    failed: dict[EntityKey, str] = {}
    for entity_type in ENTITY_TYPES:
        removed = deleted.get(entity_type, set())
        fetched = fetch_entities(
            client, entity_type, changed.get(entity_type, set()) - removed
        )
        records = [
            map_record(entity_type, raw, rules) for raw in fetched.found.values()
        ]

        result.add(store_records(portal_id, entity_type, records, fresh=True))
        result.add(store_deletions(portal_id, entity_type, removed | fetched.missing))
        for bitrix_id, error in fetched.failed.items():
            failed[(entity_type, bitrix_id)] = error.code or type(error).__name__
    return failed
