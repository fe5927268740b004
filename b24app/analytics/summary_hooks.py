"""Session hooks that keep the summaries and rollups current on ORM writes.

Before a flush, the summaries of applications about to be deleted (directly, or
through the cascade from their student, internship or employer) are taken off
the rollups, because the database cascade would drop them unseen. After a
flush, every application whose rows or counting rules the flush changed is
refreshed: its Application or ApplicationStageChange rows, its employer's
`deleted` flag, a tombstone of its deal, or its term's placed stage.
"""

from collections import defaultdict
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from b24app.analytics.summary import (
    forget_application_summary,
    refresh_application_summary,
    summarized_ids,
)
from b24app.program.models import (
    Application,
    ApplicationStageChange,
    Employer,
    Internship,
    Student,
    Term,
)
from b24app.sync.models import CrmRecord

# Application ids to refresh after the flush, found before it.
PENDING_KEY = "b24app.analytics.summaries_to_refresh"
# Deleting one of these deletes its applications through a foreign key cascade.
CASCADE_COLUMNS = {
    Student: "student_id",
    Internship: "internship_id",
    Employer: "employer_id",
}

Touched = dict[int, set[int]]


def install_session_hooks() -> None:
    """Forget summaries before deletes and refresh touched ones after flushes."""
    hooks = (("before_flush", _forget_deleted), ("after_flush", _refresh_flushed))
    for name, hook in hooks:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


def _forget_deleted(session: Session, flush_context: Any, instances: Any) -> None:
    forgotten: Touched = defaultdict(set)
    pending: Touched = session.info.setdefault(PENDING_KEY, defaultdict(set))
    connection = None
    for instance in session.deleted:
        portal_id = getattr(instance, "portal_id", None)
        if portal_id is None:
            continue
        if isinstance(instance, Application):
            forgotten[portal_id].add(instance.id)
            continue
        column = CASCADE_COLUMNS.get(type(instance))
        if column is None and not isinstance(instance, Term):
            continue
        connection = connection or session.connection()
        # A deleted term sets the applications' term to NULL: refresh them later.
        target = pending if column is None else forgotten
        target[portal_id].update(
            summarized_ids(connection, portal_id, column or "term_id", [instance.id])
        )

    for portal_id, ids in forgotten.items():
        forget_application_summary(portal_id, ids, connection=session.connection())


def _refresh_flushed(session: Session, flush_context: Any) -> None:
    # After a flush, `new`, `dirty` and `deleted` still list the flushed objects.
    touched: Touched = session.info.pop(PENDING_KEY, None) or defaultdict(set)
    connection = session.connection()
    for instance in (*session.new, *session.dirty, *session.deleted):
        for portal_id, application_id in _touched_applications(instance):
            if portal_id is not None and application_id is not None:
                touched[portal_id].add(application_id)
        rule = _counting_rule_change(instance)
        if rule is not None:
            portal_id, column, value = rule
            touched[portal_id].update(
                summarized_ids(connection, portal_id, column, [value])
            )

    for portal_id, application_ids in touched.items():
        refresh_application_summary(portal_id, application_ids, connection=connection)


def _touched_applications(instance: Any) -> list[tuple[int | None, int | None]]:
    if isinstance(instance, Application):
        return [(instance.portal_id, instance.id)]
    if not isinstance(instance, ApplicationStageChange):
        return []

    # A change moved to another application leaves the old one to refresh too.
    history = inspect(instance).attrs.application_id.history
    ids = {instance.application_id, *history.deleted}
    return [(instance.portal_id, application_id) for application_id in ids]


def _counting_rule_change(instance: Any) -> tuple[int, str, Any] | None:
    """Return (portal, summary column, value) whose applications count anew.

    None when the flush did not change whether or how applications count.
    """
    state = inspect(instance)
    if isinstance(instance, Employer):
        if state.attrs.deleted.history.has_changes():
            return instance.portal_id, "employer_id", instance.id
    if isinstance(instance, Term):
        if state.attrs.placed_at_stage.history.has_changes():
            return instance.portal_id, "term_id", instance.id
    if isinstance(instance, CrmRecord) and instance.entity_type == "deal":
        if state.attrs.deleted_at.history.has_changes() or state.deleted:
            return instance.portal_id, "bitrix_id", instance.bitrix_id
    return None
