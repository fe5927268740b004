"""Export one student's data as one JSON document, for a personal-data request."""

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect

from b24app.program.models import Student
from b24app.program.personal_data.footprint import Footprint, load_footprint
from b24app.program.personal_data.scrub import identity_of
from b24app.program.personal_data.sweep import find_mentions
from b24app.tenancy.models import utcnow

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


def row_to_dict(row: Any) -> dict[str, Any]:
    """Return every column of a mapped row, with datetimes as ISO 8601 text."""
    values = {}
    for column in inspect(row).mapper.column_attrs:
        values[column.key] = _jsonable(getattr(row, column.key))
    return values


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_student(student: Student) -> dict[str, Any]:
    """Build the export document of `student`, with rows from its portal only."""
    found = load_footprint(student)
    document = {
        "format_version": FORMAT_VERSION,
        "exported_at": utcnow().isoformat(),
        "portal_id": student.portal_id,
        "student": row_to_dict(student),
        "consent": {
            "text": student.consent_text,
            "given_at": _jsonable(student.consent_at),
        },
        "erasure": row_to_dict(found.erasure) if found.erasure else None,
        "applications": _applications(found),
        **_sections(found),
        "other_mentions": _other_mentions(found),
    }
    log.info(
        "portal %s: exported student %s (%s application(s), %s submission(s))",
        student.portal_id,
        student.id,
        len(found.applications),
        len(found.submissions),
    )
    return document


def _applications(found: Footprint) -> list[dict[str, Any]]:
    """Serialize each application with its stage history nested in it."""
    documents = []
    for application in found.applications:
        document = row_to_dict(application)
        document["stage_history"] = [
            row_to_dict(change)
            for change in found.stage_changes
            if change.application_id == application.id
        ]
        documents.append(document)
    return documents


def _sections(found: Footprint) -> dict[str, list[dict[str, Any]]]:
    sections = {
        "application_attempts": found.attempts,
        "routing_decisions": found.decisions,
        "submissions": found.submissions,
        "sent_mails": found.sent_mails,
        "crm_outbox": found.outbox,
        "crm_records": found.crm_records,
        "webhook_deliveries": found.webhook_deliveries,
    }
    return {name: [row_to_dict(row) for row in rows] for name, rows in sections.items()}


def _other_mentions(found: Footprint) -> dict[str, list[dict[str, Any]]]:
    """Collect rows not linked by id that contain the e-mail, phone, number or name.

    Rows already in a section above are left out, so each row appears once.
    """
    listed = {
        (row.__table__.name, row_to_dict(row).get("id")) for row in found.linked_rows()
    }
    mentions = {}
    for table, rows in find_mentions(
        found.student.portal_id, identity_of(found.student)
    ).items():
        unlisted = [
            {key: _jsonable(value) for key, value in row.items()}
            for row in rows
            if (table, row.get("id")) not in listed
        ]
        if unlisted:
            mentions[table] = unlisted
    return mentions
