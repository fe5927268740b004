"""Mirror the portal's users into Recruiter, so routing skips users who left.

`user.get` returns fired users too, with ACTIVE false, 50 per page (`start`
is the offset). A user the portal no longer returns at all is marked inactive.
"""

import logging
from collections.abc import Iterator
from typing import Any

from sqlalchemy import update

from b24app.bitrix import BitrixError
from b24app.extensions import db
from b24app.program.models import Recruiter
from b24app.sync.sql import upsert
from b24app.tenancy.models import utcnow

log = logging.getLogger(__name__)

# A guard against a server that keeps returning `next`: 4,000 pages of 50 users.
MAX_PAGES = 4000


def sync_recruiters(portal_id: int, client: Any) -> int:
    """Upsert a Recruiter row per portal user; return the number of users read.

    Raises BitrixError when a page cannot be read; the caller commits.
    """
    rows = [_row(portal_id, user) for user in portal_users(client)]
    rows = [row for row in rows if row is not None]
    if not rows:
        # A portal has at least the user who installed the app, so an empty
        # list is a restricted response, not a portal without users.
        log.warning("portal %s: user.get returned no users", portal_id)
        return 0
    upsert(
        Recruiter,
        rows,
        ("portal_id", "bitrix_user_id"),
        ("name", "active", "updated_at"),
    )

    seen = [row["bitrix_user_id"] for row in rows]
    db.session.execute(
        update(Recruiter)
        .where(
            Recruiter.portal_id == portal_id,
            Recruiter.bitrix_user_id.not_in(seen),
            Recruiter.active.is_(True),
        )
        .values(active=False, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    inactive = sum(1 for row in rows if not row["active"])
    log.info(
        "portal %s: %d users mirrored as recruiters, %d inactive",
        portal_id,
        len(rows),
        inactive,
    )
    return len(rows)


def refresh_recruiters(portal_id: int, client: Any) -> int | None:
    """Run `sync_recruiters`; on a REST error log it and return None.

    The CRM mirror does not depend on the users, so a portal that rejects
    `user.get` (a missing scope) still gets its entities synced.
    """
    try:
        return sync_recruiters(portal_id, client)
    except BitrixError as error:
        log.warning("portal %s: users not mirrored: %s", portal_id, error)
        return None


def portal_users(client: Any) -> Iterator[dict[str, Any]]:
    """Yield every user `user.get` returns, page by page in ID order."""
    start = 0
    for _ in range(MAX_PAGES):
        response = client.call(
            "user.get", {"sort": "ID", "order": "ASC", "start": start}
        )
        page = response.result if isinstance(response.result, list) else []
        yield from (user for user in page if isinstance(user, dict))
        if response.next is None or not page:
            return
        start = int(response.next)
    raise BitrixError(f"user.get returned more than {MAX_PAGES} pages")


def _row(portal_id: int, user: dict[str, Any]) -> dict[str, Any] | None:
    try:
        user_id = int(user["ID"])
    except (KeyError, TypeError, ValueError):
        return None
    name = " ".join(
        str(user.get(key) or "").strip() for key in ("NAME", "LAST_NAME")
    ).strip()
    return {
        "portal_id": portal_id,
        "bitrix_user_id": user_id,
        "name": (name or f"User {user_id}")[:255],
        "active": _is_active(user.get("ACTIVE")),
        "updated_at": utcnow(),
    }


def _is_active(value: Any) -> bool:
    # The docs show ACTIVE as a JSON boolean; "Y"/"N" is accepted as well.
    if isinstance(value, str):
        return value.strip().upper() in ("Y", "TRUE", "1")
    return bool(value)
