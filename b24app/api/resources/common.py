"""Helpers the resource modules share: portal-scoped loading and page envelopes."""

import logging
from typing import Any

from flask import url_for
from redis.exceptions import RedisError

from b24app.api.auth import Principal
from b24app.api.pagination import paginate, parse_sort
from b24app.api.problems import not_found
from b24app.sync.outbound import enqueue_outbox
from b24app.tenancy.scoping import get_scoped

log = logging.getLogger(__name__)


def load_or_404(model: type, principal: Principal, row_id: int, what: str) -> Any:
    """Load a row of the caller's portal, or raise a 404 problem."""
    row = get_scoped(model, principal.portal_id, id=row_id)
    if row is None:
        raise not_found(what, row_id)
    return row


def list_page(
    statement: Any,
    query: Any,
    sortable: dict[str, Any],
    default_sort: str,
    page_model: type,
    item_model: type,
) -> Any:
    """Run a filtered statement one page at a time and wrap it in `page_model`."""
    sort = parse_sort(query.sort, sortable, default_sort)
    page = paginate(statement, sort, query.limit, query.cursor)
    items = [item_model.model_validate(row) for row in page.rows]
    return page_model(data=items, next=page.next_url)


def external_url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def queue_delivery(portal_id: int) -> None:
    """Queue the CRM write now. If Redis is down, the periodic job sends it later."""
    try:
        enqueue_outbox(portal_id)
    except RedisError as error:
        log.warning("portal %s: outbox delivery not queued: %s", portal_id, error)
