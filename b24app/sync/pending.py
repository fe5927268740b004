"""Write program rows that waited for a linked entity, once it is mirrored."""

import logging

from sqlalchemy import select, update

from b24app.extensions import db
from b24app.program.models import Student, University
from b24app.sync.mapping import MappedRecord, values_from_json
from b24app.sync.models import CrmRecord
from b24app.sync.project import project_records

log = logging.getLogger(__name__)

# Rows re-tried per call; the rest wait for the next call.
RESOLVE_LIMIT = 5000
ENTITY_ORDER = {"company": 0, "contact": 1, "deal": 2}


def resolve_pending(
    portal_id: int, *, universities_changed: bool = False, limit: int = RESOLVE_LIMIT
) -> int:
    """Project pending ledger rows again; returns how many were written.

    With `universities_changed`, students whose university arrived after them
    are linked to it as well. The caller commits.
    """
    if universities_changed:
        link_students_to_universities(portal_id)
    rows = (
        db.session.execute(
            select(CrmRecord)
            .where(
                CrmRecord.portal_id == portal_id,
                CrmRecord.pending != "",
                CrmRecord.deleted_at.is_(None),
            )
            .order_by(CrmRecord.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    if not rows:
        return 0

    rows.sort(key=lambda row: (ENTITY_ORDER.get(row.entity_type, 9), row.bitrix_id))
    written = 0
    for entity_type in ENTITY_ORDER:
        group = [row for row in rows if row.entity_type == entity_type]
        if not group:
            continue
        still_pending = project_records(portal_id, [_as_record(row) for row in group])
        for row in group:
            row.pending = still_pending.get(row.bitrix_id, "")[:120]
        written += len(group) - len(still_pending)

    if written:
        log.info("portal %s: %d waiting rows written", portal_id, written)
    return written


def link_students_to_universities(portal_id: int) -> int:
    """Set university_id on students whose contact's company arrived after them."""
    company_id = CrmRecord.refs["company"].as_integer()
    matches = (
        select(CrmRecord.bitrix_id.label("contact_id"), University.id.label("uni_id"))
        .join(
            University,
            (University.portal_id == CrmRecord.portal_id)
            & (University.bitrix_id == company_id),
        )
        .where(
            CrmRecord.portal_id == portal_id,
            CrmRecord.entity_type == "contact",
            CrmRecord.deleted_at.is_(None),
        )
        .subquery()
    )
    result = db.session.execute(
        update(Student)
        .where(
            Student.portal_id == portal_id,
            Student.bitrix_id == matches.c.contact_id,
            Student.university_id.is_distinct_from(matches.c.uni_id),
        )
        .values(university_id=matches.c.uni_id)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def _as_record(row: CrmRecord) -> MappedRecord:
    return MappedRecord(
        entity_type=row.entity_type,
        bitrix_id=row.bitrix_id,
        kind=row.kind,
        date_modify=row.date_modify,
        values=values_from_json(row.data or {}),
        refs=dict(row.refs or {}),
    )
