"""Deliver the program's CRM write intents (CrmOutbox rows) without duplicates.

Each row is marked "sending" and committed before the call. A create carries
`ORIGINATOR_ID`/`ORIGIN_ID` (the fields the CRM keeps for links to an external
system), so after a timeout, or a crash while "sending", the job searches for
that marker instead of adding the entity again. Every write is sent in one
batch with a read-back `crm.*.get`, and the read-back is stored as the app's
own state, so the echo event it causes changes nothing. A row of a kind no
handler delivers, or one that can never be delivered, is marked failed and the
rows after it are still delivered.
"""

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, or_, select, update

from b24app.bitrix import BitrixError, NotFoundError, WriteTimeoutError
from b24app.extensions import db
from b24app.jobs import enqueue
from b24app.program.models import (
    Application,
    CrmOutbox,
    Employer,
    Internship,
    OutboxKind,
    OutboxStatus,
    Student,
    University,
)
from b24app.program.personal_data.models import StudentErasure
from b24app.program.services.outbox import add_outbox
from b24app.sync.client import sync_client
from b24app.sync.mapping import (
    COURSE,
    INTERNSHIP_DEAL,
    PROGRAMME,
    SKILLS,
    STUDENT_NUMBER,
    MappedRecord,
    MappingRules,
    map_record,
)
from b24app.sync.rules import load_rules
from b24app.sync.store import store_records
from b24app.tenancy.models import Portal, utcnow
from b24app.tenancy.scoping import get_scoped

log = logging.getLogger(__name__)

ORIGINATOR = "b24app"
SENDING = "sending"
# A row left "sending" this long belongs to a crashed job and is picked up again.
SENDING_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 5
MAX_ROWS_PER_JOB = 500
RETRY_INTERVALS = [10, 60, 300]

# Kinds other parts of the app queue under their own names.
CREATE_UNIVERSITY_COMPANY = "create_university_company"
ANONYMISE_CONTACT = "anonymise_contact"
LINK_CONTACT_COMPANY = "link_contact_company"


class DeliveryDeferred(Exception):
    """The intent needs another one delivered first (the contact of a deal)."""


class DeliveryFailed(Exception):
    """The intent can never be delivered as it is; the row is marked failed."""


def deliver_outbox(portal_id: int) -> int:
    """Job: deliver the portal's pending intents in order; return how many were sent."""
    portal = db.session.get(Portal, portal_id)
    if portal is None or not portal.is_active:
        log.info("portal %s is not active; outbox not delivered", portal_id)
        return 0
    client, _ = sync_client(portal)
    rules = load_rules(portal_id)

    sent = 0
    for _ in range(MAX_ROWS_PER_JOB):
        row = claim_next(portal_id)
        if row is None:
            break
        if not deliver_row(client, rules, row):
            break
        sent += int(row.status == OutboxStatus.SENT)
    return sent


def claim_next(portal_id: int) -> CrmOutbox | None:
    """Lock the oldest deliverable row: pending, or left "sending" by a crash."""
    stale = utcnow() - SENDING_TIMEOUT
    statement = (
        select(CrmOutbox)
        .where(
            CrmOutbox.portal_id == portal_id,
            or_(
                CrmOutbox.status == OutboxStatus.PENDING,
                (CrmOutbox.status == SENDING) & (CrmOutbox.sent_at < stale),
            ),
        )
        .order_by(CrmOutbox.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return db.session.execute(statement).scalar_one_or_none()


def deliver_row(client: Any, rules: MappingRules, row: CrmOutbox) -> bool:
    """Send one intent; return False when delivery should stop for now."""
    was_sending = row.status == SENDING
    row.status = SENDING
    row.attempts += 1
    # Until the row is sent, `sent_at` is the start of the current attempt.
    row.sent_at = utcnow()
    db.session.commit()

    try:
        handler = HANDLERS.get(row.kind)
        if handler is None:
            raise DeliveryFailed(f"unknown outbox kind {row.kind!r}: no handler")
        handler(client, rules, row, was_sending)
    except DeliveryFailed as error:
        _mark_failed(row, str(error))
        return True
    except WriteTimeoutError as error:
        row.last_error = f"outcome unknown, reconciled on retry: {error}"[:2000]
        db.session.commit()
        log.warning(
            "portal %s: outbox %s timed out; kept sending", row.portal_id, row.id
        )
        raise
    except DeliveryDeferred as error:
        _back_to_pending(row, str(error))
        return False
    except BitrixError as error:
        _back_to_pending(row, str(error))
        log.warning("portal %s: outbox %s failed: %s", row.portal_id, row.id, error)
        raise

    row.status = OutboxStatus.SENT
    row.sent_at = utcnow()
    row.last_error = ""
    db.session.commit()
    return True


def _back_to_pending(row: CrmOutbox, reason: str) -> None:
    db.session.rollback()
    row.last_error = reason[:2000]
    row.status = (
        OutboxStatus.FAILED if row.attempts >= MAX_ATTEMPTS else OutboxStatus.PENDING
    )
    db.session.commit()


def _mark_failed(row: CrmOutbox, reason: str) -> None:
    db.session.rollback()
    row.status = OutboxStatus.FAILED
    row.last_error = reason[:2000]
    db.session.commit()
    log.warning(
        "portal %s: outbox %s (%s) failed permanently: %s",
        row.portal_id,
        row.id,
        row.kind,
        reason,
    )


def marker(kind: str, local_id: int) -> str:
    """Return the ORIGIN_ID of an entity the app creates, stable across retries."""
    return f"{kind}-{local_id}"


def _upsert_contact(
    client: Any, rules: MappingRules, row: CrmOutbox, retry: bool
) -> None:
    student = _load(Student, row, row.payload.get("student_id") or row.entity_id)
    fields = {
        "NAME": student.first_name,
        "LAST_NAME": student.last_name,
        **_user_fields(rules, student),
    }
    if student.email and not student.bitrix_id:
        fields["EMAIL"] = [{"VALUE": student.email, "VALUE_TYPE": "WORK"}]
    if student.phone and not student.bitrix_id:
        fields["PHONE"] = [{"VALUE": student.phone, "VALUE_TYPE": "WORK"}]
    # The mirror reads a student's university from the contact's company.
    company_id = _university_company_id(row.portal_id, student)
    if company_id:
        fields["COMPANY_ID"] = company_id
    record = _write(
        client,
        rules,
        row,
        "contact",
        student.bitrix_id,
        fields,
        marker("student", student.id),
        retry,
    )
    student.bitrix_id = record.bitrix_id
    _store_written(row, record)


def _university_company_id(portal_id: int, student: Student) -> int | None:
    if student.university_id is None:
        return None
    university = get_scoped(University, portal_id, id=student.university_id)
    return university.bitrix_id if university is not None else None


def _create_application_deal(
    client: Any, rules: MappingRules, row: CrmOutbox, retry: bool
) -> None:
    application = _load(
        Application, row, row.payload.get("application_id") or row.entity_id
    )
    student = db.session.get(Student, application.student_id)
    internship = db.session.get(Internship, application.internship_id)
    employer = db.session.get(Employer, application.employer_id)
    if student is None or not student.bitrix_id:
        raise DeliveryDeferred("the student's contact is not in the CRM yet")

    title = internship.title if internship else ""
    fields = {
        "TITLE": f"{student.full_name} - {title}".strip(" -"),
        "CATEGORY_ID": rules.applications_category,
        "STAGE_ID": _stage_id(rules, application.stage),
        "CONTACT_ID": student.bitrix_id,
        "COMPANY_ID": employer.bitrix_id if employer else None,
        "ASSIGNED_BY_ID": application.assigned_user_id,
    }
    link_field = rules.user_fields.get(INTERNSHIP_DEAL)
    if link_field and internship is not None and internship.bitrix_id:
        fields[link_field] = internship.bitrix_id
    fields = {name: value for name, value in fields.items() if value is not None}
    record = _write(
        client,
        rules,
        row,
        "deal",
        application.bitrix_id,
        fields,
        marker("application", application.id),
        retry,
    )
    application.bitrix_id = record.bitrix_id
    _store_written(row, record)


def _update_application_deal(
    client: Any, rules: MappingRules, row: CrmOutbox, retry: bool
) -> None:
    application = _load(
        Application, row, row.payload.get("application_id") or row.entity_id
    )
    if not application.bitrix_id:
        raise DeliveryDeferred("the application deal is not in the CRM yet")
    stage = row.payload.get("stage") or application.stage
    fields = {"STAGE_ID": _stage_id(rules, stage)}
    # A re-routed application carries its new assignee.
    if row.payload.get("assigned_user_id"):
        fields["ASSIGNED_BY_ID"] = int(row.payload["assigned_user_id"])
    record = _write(
        client, rules, row, "deal", application.bitrix_id, fields, "", retry
    )
    _store_written(row, record)


def _create_university_company(
    client: Any, rules: MappingRules, row: CrmOutbox, retry: bool
) -> None:
    university = _load(
        University, row, row.payload.get("university_id") or row.entity_id
    )
    company_type = rules.university_type or row.payload.get("company_type_id")
    if not company_type:
        # Without the type the company would come back as an employer.
        raise DeliveryFailed("the portal has no University company type mapped")

    # ADDRESS_CITY is the field the sync maps back to the city, so a later sync
    # reads the same value instead of an empty one. crm.company.fields lists it
    # as writable; the docs point new address data to requisites.
    fields = {
        "TITLE": university.name,
        "COMPANY_TYPE": company_type,
        "ADDRESS_CITY": university.city,
    }
    record = _write(
        client,
        rules,
        row,
        "company",
        university.bitrix_id,
        fields,
        marker("university", university.id),
        retry,
    )
    university.bitrix_id = record.bitrix_id
    city = university.city
    _store_written(row, record)
    _queue_company_links(row.portal_id, university.id)

    if city and not record.values.get("city"):
        # A portal that keeps addresses only in requisites drops the field.
        # The local city stays until the company is next changed in the CRM.
        log.warning(
            "portal %s: outbox %s: the CRM kept no city for company %s",
            row.portal_id,
            row.id,
            record.bitrix_id,
        )
        db.session.execute(
            update(University)
            .where(University.id == university.id)
            .values(city=city)
            .execution_options(synchronize_session=False)
        )


def _queue_company_links(portal_id: int, university_id: int) -> None:
    """Queue COMPANY_ID for contacts the app wrote before the company existed.

    The new rows come after this one, so the same job delivers them.
    """
    students = db.session.execute(
        select(Student.id).where(
            Student.portal_id == portal_id,
            Student.university_id == university_id,
            Student.bitrix_id.is_not(None),
            # An erased student's contact is anonymised and stays unlinked.
            ~exists().where(StudentErasure.student_id == Student.id),
        )
    ).scalars()
    for student_id in students:
        add_outbox(
            portal_id,
            LINK_CONTACT_COMPANY,
            "student",
            student_id,
            {"student_id": student_id},
        )


def _link_contact_company(
    client: Any, rules: MappingRules, row: CrmOutbox, retry: bool
) -> None:
    """Set the contact's company to the student's university; nothing else changes."""
    student = _load(Student, row, row.payload.get("student_id") or row.entity_id)
    company_id = _university_company_id(row.portal_id, student)
    if not student.bitrix_id or not company_id:
        # A contact not created yet gets the company when it is created.
        return
    fields = {"COMPANY_ID": company_id}
    record = _write(client, rules, row, "contact", student.bitrix_id, fields, "", retry)
    _store_written(row, record)


def _anonymise_contact(
    client: Any, rules: MappingRules, row: CrmOutbox, retry: bool
) -> None:
    """Overwrite an erased student's contact: placeholder name, no e-mail or phone."""
    student = _load(Student, row, row.payload.get("student_id") or row.entity_id)
    bitrix_id = student.bitrix_id or row.payload.get("bitrix_id")
    if not bitrix_id:
        log.info(
            "portal %s: outbox %s: student %s has no contact; nothing to anonymise",
            row.portal_id,
            row.id,
            student.id,
        )
        return
    try:
        contact = client.call("crm.contact.get", {"id": int(bitrix_id)}).result
    except NotFoundError:
        log.info(
            "portal %s: outbox %s: contact %s is gone", row.portal_id, row.id, bitrix_id
        )
        return

    fields: dict[str, Any] = {
        "NAME": str(row.payload.get("name") or ""),
        "LAST_NAME": "",
        "SECOND_NAME": "",
        **_blank_user_fields(rules),
    }
    # Multifield values are removed by their ID with DELETE=Y; values not
    # listed would stay (crm.contact.update, "Working with Multiple Fields").
    for field_name in ("EMAIL", "PHONE"):
        values = contact.get(field_name) if isinstance(contact, dict) else None
        removals = [
            {"ID": value["ID"], "DELETE": "Y"}
            for value in values or []
            if isinstance(value, dict) and value.get("ID")
        ]
        if removals:
            fields[field_name] = removals

    record = _write(client, rules, row, "contact", int(bitrix_id), fields, "", retry)
    _store_written(row, record)


def _blank_user_fields(rules: MappingRules) -> dict[str, str]:
    names = (STUDENT_NUMBER, COURSE, PROGRAMME, SKILLS)
    return {
        rules.user_fields[name]: "" for name in names if rules.user_fields.get(name)
    }


def _add_timeline_comment(
    client: Any, rules: MappingRules, row: CrmOutbox, retry: bool
) -> None:
    fields = dict(row.payload.get("fields") or {})
    if row.entity_type == "university":
        fields.update(_university_company(row))
    elif not fields:
        application = _load(Application, row, row.payload.get("application_id"))
        if not application.bitrix_id:
            raise DeliveryDeferred("the application deal is not in the CRM yet")
        text = str(row.payload.get("text") or "")
        fields = {
            "ENTITY_TYPE": "deal",
            "ENTITY_ID": application.bitrix_id,
            "COMMENT": text,
        }
    # A comment has no ORIGIN_ID, so a retry looks for the same text instead.
    if retry and _comment_exists(client, fields):
        log.info("portal %s: outbox %s comment already added", row.portal_id, row.id)
        return
    client.call("crm.timeline.comment.add", {"fields": fields})


def _university_company(row: CrmOutbox) -> dict[str, Any]:
    """Return ENTITY_TYPE and ENTITY_ID of the university's company, read now.

    The company may have been created, or replaced, after the intent was queued.
    """
    university = _load(
        University, row, row.payload.get("university_id") or row.entity_id
    )
    if not university.bitrix_id:
        raise DeliveryDeferred("the university's company is not in the CRM yet")
    return {"ENTITY_TYPE": "company", "ENTITY_ID": university.bitrix_id}


def _comment_exists(client: Any, fields: dict[str, Any]) -> bool:
    response = client.call(
        "crm.timeline.comment.list",
        {
            "filter": {
                "ENTITY_ID": fields["ENTITY_ID"],
                "ENTITY_TYPE": fields["ENTITY_TYPE"],
            },
            "select": ["ID", "COMMENT"],
        },
    )
    comments = response.result if isinstance(response.result, list) else []
    return any(item.get("COMMENT") == fields.get("COMMENT") for item in comments)


def _write(
    client: Any,
    rules: MappingRules,
    row: CrmOutbox,
    entity_type: str,
    bitrix_id: int | None,
    fields: dict[str, Any],
    origin: str,
    retry: bool,
) -> MappedRecord:
    """Add or update one entity in one batch with a read-back; return the read-back."""
    if bitrix_id is None and retry:
        bitrix_id = find_by_marker(client, entity_type, origin)
    prefix = f"crm.{entity_type}"

    if bitrix_id is None:
        fields = {**fields, "ORIGINATOR_ID": ORIGINATOR, "ORIGIN_ID": origin}
        commands = {
            "write": (f"{prefix}.add", {"fields": fields}),
            "read": (f"{prefix}.get", {"id": "$result[write]"}),
        }
    else:
        commands = {
            "write": (f"{prefix}.update", {"id": bitrix_id, "fields": fields}),
            "read": (f"{prefix}.get", {"id": bitrix_id}),
        }
    outcome = client.batch(commands, halt=True)

    return map_record(entity_type, outcome.results["read"], rules)


def _store_written(row: CrmOutbox, record: MappedRecord) -> None:
    """Store the read-back as the app's own write, so its echo event is skipped."""
    # The local row carries the Bitrix24 id by now, so the projection updates
    # it instead of inserting a second row.
    db.session.flush()
    store_records(row.portal_id, record.entity_type, [record], fresh=True, written=True)


def find_by_marker(client: Any, entity_type: str, origin: str) -> int | None:
    """Return the id of the entity an earlier attempt created, if it exists."""
    response = client.call(
        f"crm.{entity_type}.list",
        {
            "filter": {"ORIGINATOR_ID": ORIGINATOR, "ORIGIN_ID": origin},
            "select": ["ID"],
        },
    )
    rows = response.result if isinstance(response.result, list) else []
    if rows:
        log.info(
            "found %s %s created by an earlier attempt (%s)",
            entity_type,
            rows[0]["ID"],
            origin,
        )
        return int(rows[0]["ID"])
    return None


def _load(model: Any, row: CrmOutbox, local_id: Any) -> Any:
    found = get_scoped(model, row.portal_id, id=int(local_id)) if local_id else None
    if found is None:
        raise BitrixError(
            f"outbox {row.id}: {model.__name__} {local_id} not found locally"
        )
    return found


def _stage_id(rules: MappingRules, stage: str) -> str | None:
    by_name = {name: crm_id for crm_id, name in rules.application_stages.items()}
    return by_name.get(stage)


def _user_fields(rules: MappingRules, student: Student) -> dict[str, Any]:
    values = {
        "student_number": student.student_number,
        "course": student.course,
        "programme": student.programme,
        "skills": ", ".join(student.skills or []),
    }
    return {
        rules.user_fields[name]: value
        for name, value in values.items()
        if rules.user_fields.get(name) and value not in (None, "")
    }


HANDLERS = {
    OutboxKind.UPSERT_CONTACT: _upsert_contact,
    OutboxKind.CREATE_APPLICATION_DEAL: _create_application_deal,
    OutboxKind.UPDATE_APPLICATION_DEAL: _update_application_deal,
    OutboxKind.ADD_TIMELINE_COMMENT: _add_timeline_comment,
    CREATE_UNIVERSITY_COMPANY: _create_university_company,
    ANONYMISE_CONTACT: _anonymise_contact,
    LINK_CONTACT_COMPANY: _link_contact_company,
}


def enqueue_outbox(portal_id: int) -> str:
    """Queue delivery of a portal's intents; call after committing new ones."""
    return enqueue(
        deliver_outbox,
        portal_id,
        queue="crm",
        timeout=600,
        retries=len(RETRY_INTERVALS),
        retry_intervals=RETRY_INTERVALS,
        portal_id=portal_id,
    )


def deliver_all() -> int:
    """Periodic job: queue delivery for every portal with deliverable intents."""
    stale = utcnow() - SENDING_TIMEOUT
    portal_ids = db.session.execute(
        select(CrmOutbox.portal_id)
        .where(
            or_(
                CrmOutbox.status == OutboxStatus.PENDING,
                (CrmOutbox.status == SENDING) & (CrmOutbox.sent_at < stale),
            )
        )
        .distinct()
    ).scalars()
    count = 0
    for portal_id in portal_ids:
        enqueue_outbox(portal_id)
        count += 1
    return count
