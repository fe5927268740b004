"""Per-user CRM permissions of the card tabs and their actions.

Portal administrators may do everything. Another user sees a card's tab only
if Bitrix24 lets that user read the card's record. That user may run an action
on an application only if Bitrix24 lets them change the application's deal,
because stage moves, rejections and re-routing all end in a write to that deal.
Applying a student needs the right to read the student's contact. The portal is
asked with the user's own token (see `b24app.web.crm_access`), so its CRM roles
decide, and a record the app has not written to the CRM yet is open to
administrators only.
"""

from __future__ import annotations

import logging

from flask import Response

from b24app.web.crm_access import (
    DEAL,
    AccessCheckFailed,
    can_edit,
    can_read,
)
from b24app.web.messages import render_message
from b24app.web.session import (
    current_portal,
    current_session,
    session_auth_id,
    session_rejected,
)

log = logging.getLogger(__name__)


def reject_unless_readable(
    entity_type_id: int, record_id: int | None
) -> Response | None:
    """Return a rejection page unless the session's user may read the record."""
    return _rejection(entity_type_id, record_id, edit=False)


def reject_unless_editable(deal_id: int | None) -> Response | None:
    """Return a rejection page unless the session's user may change the deal."""
    return _rejection(DEAL, deal_id, edit=True)


def _rejection(
    entity_type_id: int, record_id: int | None, edit: bool
) -> Response | None:
    session = current_session()
    if session.is_admin:
        return None
    auth_id = session_auth_id()
    if auth_id is None:
        # A token issued before sessions carried the user's token: renew it.
        return session_rejected()
    if record_id is None:
        return render_message(403, "crm_forbidden")

    portal = current_portal()
    try:
        if edit:
            allowed = can_edit(portal, session.user_id, auth_id, record_id)
        else:
            allowed = can_read(
                portal, session.user_id, auth_id, entity_type_id, record_id
            )
    except AccessCheckFailed:
        return render_message(503, "crm_check_failed")

    if allowed:
        return None
    log.info(
        "portal %s: user %s denied %s of CRM type %s record %s",
        portal.id,
        session.user_id,
        "change" if edit else "read",
        entity_type_id,
        record_id,
    )
    return render_message(403, "crm_edit_forbidden" if edit else "crm_forbidden")
