"""Reconciliation: what online events missed, found by DATE_MODIFY or offline events.

Bitrix24 never resends an online event, so two periodic jobs catch up:

* `delta_sync` exports every entity with `>DATE_MODIFY` after the portal's
  high-water mark minus an overlap (clocks and same-second edits), and stores
  it like a full sync does. It cannot see deletions.
* `read_offline_events` reserves offline events with `event.offline.get`
  (`clear=0`), applies them, then confirms with `event.offline.clear` or marks
  failures with `event.offline.error`. Portals whose plan lacks confirmation
  mode fall back to `delta_sync`.

Each `read_offline_events` run also mirrors the portal's users into Recruiter,
because users send the app no events.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from b24app.bitrix import (
    AccessDeniedError,
    AuthorizationRevoked,
    BitrixError,
    ExpiredTokenError,
    MethodNotFoundError,
    OperationTimeLimit,
    QueryLimitExceeded,
    ServerError,
    TransportError,
)
from b24app.extensions import db
from b24app.sync.apply import EntityKey, apply_changes, map_rows, store_isolated
from b24app.sync.client import sync_client
from b24app.sync.fullsync import (
    CHUNK_SIZE,
    LIST_METHODS,
    chunked,
    list_filter,
    synced_types,
)
from b24app.sync.mapping import parse_crm_datetime, parse_crm_id
from b24app.sync.models import CrmRecord
from b24app.sync.pending import resolve_pending
from b24app.sync.recruiters import refresh_recruiters
from b24app.sync.rules import load_rules
from b24app.sync.stages import apply_stage_moves
from b24app.sync.state import note_failure, sync_state
from b24app.sync.store import StoreResult
from b24app.tenancy.models import Portal, PortalState, utcnow

log = logging.getLogger(__name__)

DELTA_OVERLAP = timedelta(minutes=5)
# The documented default of event.offline.get; the docs give no maximum.
OFFLINE_LIMIT = 50
OFFLINE_ROUNDS = 40
OFFLINE_EVENT_TYPES = {
    "ONCRMCOMPANY": "company",
    "ONCRMCONTACT": "contact",
    "ONCRMDEAL": "deal",
}


def delta_sync(portal_id: int) -> dict[str, int]:
    """Job: store every entity modified since the high-water mark; return counts."""
    portal = _active_portal(portal_id)
    if portal is None:
        return {}
    client, tally = sync_client(portal)
    rules = load_rules(portal_id)
    state = sync_state(portal_id)
    counts: dict[str, int] = {}

    try:
        for entity_type in synced_types(rules):
            counts[entity_type] = _delta_entity(
                portal_id, client, rules, state, entity_type
            )
    except BitrixError as error:
        db.session.rollback()
        note_failure(portal_id, f"delta sync: {error}")
        raise

    resolve_pending(portal_id, universities_changed=True)
    state.last_delta_at = utcnow()
    db.session.commit()
    log.info(
        "portal %s: delta sync stored %s with %d requests",
        portal_id,
        counts,
        tally.total,
    )
    return counts


def _delta_entity(
    portal_id: int, client: Any, rules: Any, state: Any, entity_type: str
) -> int:
    since = _high_water(portal_id, state, entity_type)
    if since is None:
        log.info(
            "portal %s: no %s synced yet; delta sync skips it", portal_id, entity_type
        )
        return 0

    method, select_fields = LIST_METHODS[entity_type]
    filters = dict(list_filter(entity_type, rules) or {})
    filters[">DATE_MODIFY"] = (since - DELTA_OVERLAP).isoformat()
    rows = client.list_all(method, filter=filters, select=select_fields)

    stored, newest = 0, since
    for chunk in chunked(rows, CHUNK_SIZE):
        rejected: dict[EntityKey, str] = {}
        records = map_rows(portal_id, entity_type, chunk, rules, rejected)
        result = StoreResult()
        store_isolated(portal_id, entity_type, records, result, rejected, fresh=False)
        stored += len(chunk) - len(rejected)
        newest = max([newest, *(r.date_modify for r in records if r.date_modify)])
        state.high_water = {**state.high_water, entity_type: newest.isoformat()}
        db.session.commit()
        apply_stage_moves(portal_id, result.stage_moves)
    return stored


def _high_water(portal_id: int, state: Any, entity_type: str) -> datetime | None:
    stored = parse_crm_datetime((state.high_water or {}).get(entity_type))
    if stored is not None:
        return stored
    newest = db.session.execute(
        select(func.max(CrmRecord.date_modify)).where(
            CrmRecord.portal_id == portal_id, CrmRecord.entity_type == entity_type
        )
    ).scalar_one_or_none()
    return newest


def read_offline_events(portal_id: int) -> dict[str, Any]:
    """Job: apply the portal's offline events, or run a delta sync without them."""
    portal = _active_portal(portal_id)
    if portal is None:
        return {}
    client, tally = sync_client(portal)
    # Users are not CRM entities and send no events, so each run reads them.
    refresh_recruiters(portal_id, client)
    db.session.commit()

    state = sync_state(portal_id)
    if state.offline_events == "unavailable":
        return {"delta": delta_sync(portal_id)}

    rules = load_rules(portal_id)
    applied = 0
    for _ in range(OFFLINE_ROUNDS):
        try:
            reserved = client.call(
                "event.offline.get", {"clear": 0, "limit": OFFLINE_LIMIT}
            )
        except BitrixError as error:
            if not _means_unavailable(error):
                raise
            return _offline_unavailable(portal_id, state, error)
        state.offline_events = "available"
        process_id, events = _reserved(reserved.result)
        if not events:
            break
        applied += _apply_offline(portal_id, client, rules, process_id, events)
        if len(events) < OFFLINE_LIMIT:
            break

    state.last_offline_at = utcnow()
    db.session.commit()
    log.info(
        "portal %s: %d offline events applied, %d requests",
        portal_id,
        applied,
        tally.total,
    )
    return {"offline": applied}


def _apply_offline(
    portal_id: int, client: Any, rules: Any, process_id: str, events: list[dict]
) -> int:
    changed: dict[str, set[int]] = defaultdict(set)
    deleted: dict[str, set[int]] = defaultdict(set)
    messages: dict[tuple[str, int], list[str]] = defaultdict(list)
    for event in events:
        key = _offline_entity(event)
        if key is None:
            continue
        target = (
            deleted
            if str(event.get("EVENT_NAME", "")).upper().endswith("DELETE")
            else changed
        )
        target[key[0]].add(key[1])
        messages[key].append(str(event.get("MESSAGE_ID") or ""))

    result = StoreResult()
    failed = apply_changes(portal_id, client, rules, changed, deleted, result)
    resolve_pending(portal_id, universities_changed=True)
    db.session.commit()
    apply_stage_moves(portal_id, result.stage_moves)

    failed_messages = [m for key in failed for m in messages[key] if m]
    if failed_messages:
        # Marked rows leave the process and come back with error=1.
        client.call(
            "event.offline.error",
            {"process_id": process_id, "message_id": failed_messages},
        )
        note_failure(portal_id, f"offline events: {len(failed)} entities not read")
    client.call("event.offline.clear", {"process_id": process_id})
    return len(events) - len(failed_messages)


def _offline_entity(event: dict[str, Any]) -> tuple[str, int] | None:
    name = str(event.get("EVENT_NAME") or "").upper()
    data = event.get("EVENT_DATA") if isinstance(event.get("EVENT_DATA"), dict) else {}
    fields = data.get("FIELDS") if isinstance(data.get("FIELDS"), dict) else {}
    entity_id = parse_crm_id(fields.get("ID"))
    for prefix, entity_type in OFFLINE_EVENT_TYPES.items():
        if name.startswith(prefix) and entity_id is not None:
            return entity_type, entity_id
    return None


def _reserved(result: Any) -> tuple[str, list[dict[str, Any]]]:
    if not isinstance(result, dict):
        raise BitrixError("event.offline.get: result is not an object")
    events = result.get("events") or []
    return str(result.get("process_id") or ""), [
        e for e in events if isinstance(e, dict)
    ]


def _means_unavailable(error: BitrixError) -> bool:
    """Return whether an error of event.offline.get means the portal cannot use it.

    NOTE: the docs name no error code for a plan without confirmation mode
    (feature `rest_offline_extended`), so any error that is not transient
    (rate limit, 5xx, transport, token expiry) counts as "unavailable".
    """
    if isinstance(error, AccessDeniedError | MethodNotFoundError):
        return True
    transient = (
        QueryLimitExceeded,
        ServerError,
        TransportError,
        ExpiredTokenError,
        OperationTimeLimit,
        AuthorizationRevoked,
    )
    return not isinstance(error, transient)


def _offline_unavailable(
    portal_id: int, state: Any, error: BitrixError
) -> dict[str, Any]:
    log.info(
        "portal %s: offline events unavailable (%s); using delta sync",
        portal_id,
        error.code,
    )
    state.offline_events = "unavailable"
    db.session.commit()
    return {"delta": delta_sync(portal_id)}


def _active_portal(portal_id: int) -> Portal | None:
    portal = db.session.get(Portal, portal_id)
    if portal is None or not portal.is_active:
        log.info("portal %s is not active; reconciliation skipped", portal_id)
        return None
    return portal


def reconcile_all() -> int:
    """Periodic job: enqueue offline-event reading (or delta sync) for every portal."""
    from b24app.jobs import enqueue

    portal_ids = db.session.execute(
        select(Portal.id).where(Portal.state == PortalState.ACTIVE)
    ).scalars()
    count = 0
    for portal_id in portal_ids:
        _start_first_full_sync(portal_id)
        enqueue(
            read_offline_events,
            portal_id,
            queue="sync",
            timeout=1800,
            retries=2,
            retry_intervals=[60, 300],
            job_id=f"sync-reconcile-{portal_id}-{int(utcnow().timestamp()) // 60}",
            portal_id=portal_id,
        )
        count += 1
    return count


def _start_first_full_sync(portal_id: int) -> None:
    """Start a full sync for a portal that never finished one (install step missed)."""
    from b24app.sync.fullsync import start_full_sync, unfinished_run

    state = sync_state(portal_id)
    if state.last_full_sync_at is None and unfinished_run(portal_id) is None:
        log.info("portal %s has no full sync yet; starting one", portal_id)
        start_full_sync(portal_id)
