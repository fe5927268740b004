"""Read CRM entities by id, up to 50 `crm.*.get` commands per HTTP request."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from b24app.bitrix import BitrixError, NotFoundError
from b24app.bitrix.batch import MAX_COMMANDS

log = logging.getLogger(__name__)

GET_METHODS = {
    "company": "crm.company.get",
    "contact": "crm.contact.get",
    "deal": "crm.deal.get",
}


@dataclass
class FetchResult:
    """Records found, ids the CRM reports as not found, and ids that failed."""

    found: dict[int, dict[str, Any]] = field(default_factory=dict)
    missing: set[int] = field(default_factory=set)
    failed: dict[int, BitrixError] = field(default_factory=dict)


def fetch_entities(client: Any, entity_type: str, ids: Iterable[int]) -> FetchResult:
    """Fetch entities of one type by id.

    "Not found" lands in `missing`; any other per-command error lands in
    `failed`, so the caller can apply the rest and retry those later. A failure
    of a whole request (transport, 5xx after the client's retries) raises.
    """
    method = GET_METHODS[entity_type]
    unique_ids = sorted(set(ids))
    result = FetchResult()

    for start in range(0, len(unique_ids), MAX_COMMANDS):
        chunk = unique_ids[start : start + MAX_COMMANDS]
        commands = {f"e{bitrix_id}": (method, {"id": bitrix_id}) for bitrix_id in chunk}
        outcome = client.batch(commands, halt=False, raise_on_error=False)
        for bitrix_id in chunk:
            _sort_outcome(outcome, f"e{bitrix_id}", bitrix_id, result)

    return result


def _sort_outcome(outcome: Any, key: str, bitrix_id: int, result: FetchResult) -> None:
    if key in outcome.results and isinstance(outcome.results[key], dict):
        result.found[bitrix_id] = outcome.results[key]
        return

    error = outcome.errors.get(key)
    if isinstance(error, NotFoundError):
        result.missing.add(bitrix_id)
        return
    result.failed[bitrix_id] = error or BitrixError(
        f"batch command for id {bitrix_id} did not run", method="batch"
    )
