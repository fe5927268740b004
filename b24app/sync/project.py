"""Write mapped CRM records into the program tables (University ... Application).

Rows are upserted by (portal, bitrix_id). Links to other CRM entities are
resolved to local ids here. A record whose required link is not mirrored yet
is left out and reported as pending, so `resolve_pending` can write it later.
"""

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from b24app.analytics.summary import (
    forget_summaries_of,
    refresh_application_summary,
    refresh_summaries_of,
)
from b24app.extensions import db
from b24app.program.models import (
    Application,
    ApplicationStageChange,
    Employer,
    Internship,
    Student,
    University,
)
from b24app.program.personal_data.models import StudentErasure
from b24app.program.skills import load_alias_map, normalize_skills
from b24app.sync.mapping import MappedRecord
from b24app.sync.models import CrmRecord
from b24app.sync.notify import INTERNSHIP_OPENED, notify_after_commit
from b24app.sync.sql import upsert
from b24app.tenancy.models import utcnow

log = logging.getLogger(__name__)

KIND_MODELS: dict[str, Any] = {
    "university": University,
    "employer": Employer,
    "student": Student,
    "internship": Internship,
    "application": Application,
}
# The application column that points at a row of each deletable kind.
CASCADE_COLUMNS = {
    "student": "student_id",
    "internship": "internship_id",
    "application": "application_id",
}
# Dependencies first, so one call can resolve links to rows it just wrote.
KIND_ORDER = ("university", "employer", "student", "internship", "application")

Rows = list[dict[str, Any]]
Pending = dict[int, str]


StageMove = tuple[int, str]


def project_records(
    portal_id: int,
    records: list[MappedRecord],
    stage_moves: list[StageMove] | None = None,
    *,
    written: bool = False,
) -> Pending:
    """Upsert the program rows of `records`; return {bitrix_id: reason} left out.

    With `stage_moves`, an application whose CRM stage changed keeps its old
    stage here and (bitrix_id, new stage) is appended to the list, so the caller
    can run the program's stage change (seats, placement) after committing.
    Without it the new stage is written directly with a history row.
    `written` marks the records as the read-back of the app's own write.
    """
    by_kind: dict[str, list[MappedRecord]] = {}
    for record in records:
        if record.kind:
            by_kind.setdefault(record.kind, []).append(record)

    pending: Pending = {}
    for kind in KIND_ORDER:
        if kind == "application" and kind in by_kind:
            pending.update(_applications(portal_id, by_kind[kind], stage_moves))
        elif kind == "student" and kind in by_kind:
            pending.update(_students(portal_id, by_kind[kind], written))
        elif kind in by_kind:
            pending.update(PROJECTORS[kind](portal_id, by_kind[kind]))
    return pending


def remove_rows(portal_id: int, kind: str, bitrix_ids: list[int]) -> None:
    """Take the program rows of deleted (or re-kinded) CRM entities out of the mirror.

    Companies keep their row with `deleted` set, because internships and
    applications point at them. Students, internships and applications have no
    such flag, so their rows are deleted, and the applications that pointed at
    them wait in the ledger until the entity comes back.
    """
    model = KIND_MODELS.get(kind)
    if model is None or not bitrix_ids:
        return
    scope = (model.portal_id == portal_id, model.bitrix_id.in_(bitrix_ids))
    # The analytics rollups must see the applications go, before the cascade.
    removed = local_ids(model, portal_id, set(bitrix_ids)).values()
    if hasattr(model, "deleted"):
        statement = (
            update(model).where(*scope).values(deleted=True, updated_at=utcnow())
        )
    else:
        forget_summaries_of(portal_id, CASCADE_COLUMNS[kind], removed)
        statement = delete(model).where(*scope)
    db.session.execute(statement.execution_options(synchronize_session=False))
    if kind == "employer":
        refresh_summaries_of(portal_id, "employer_id", removed)

    if kind in ("student", "internship"):
        ref = "contact" if kind == "student" else "internship"
        _mark_dependants(portal_id, ref, bitrix_ids, f"missing {ref}")


def local_ids(
    model: Any, portal_id: int, bitrix_ids: set[int | None]
) -> dict[int, int]:
    """Map Bitrix24 ids to local ids for the rows of `model` that exist."""
    known = [value for value in bitrix_ids if value]
    if not known:
        return {}
    rows = db.session.execute(
        select(model.bitrix_id, model.id).where(
            model.portal_id == portal_id, model.bitrix_id.in_(known)
        )
    )
    return {bitrix_id: local_id for bitrix_id, local_id in rows}


def _universities(portal_id: int, records: list[MappedRecord]) -> Pending:
    rows = [_base(portal_id, record) | {"deleted": False} for record in records]
    _write(University, rows, ("name", "city", "deleted"))
    return {}


def _employers(portal_id: int, records: list[MappedRecord]) -> Pending:
    rows = [_base(portal_id, record) | {"deleted": False} for record in records]
    restored = _deleted_ids(Employer, portal_id, [row["bitrix_id"] for row in rows])
    _write(Employer, rows, ("name", "city", "industry", "deleted"))
    # A restored employer's applications count in the figures again.
    refresh_summaries_of(portal_id, "employer_id", restored)
    return {}


def _deleted_ids(model: Any, portal_id: int, bitrix_ids: list[int]) -> list[int]:
    statement = select(model.id).where(
        model.portal_id == portal_id,
        model.bitrix_id.in_(bitrix_ids),
        model.deleted.is_(True),
    )
    return list(db.session.execute(statement).scalars())


def _students(
    portal_id: int, records: list[MappedRecord], written: bool = False
) -> Pending:
    universities = local_ids(
        University, portal_id, {record.refs.get("company") for record in records}
    )
    # A contact the app writes for a university with no CRM company yet has no
    # COMPANY_ID, so its read-back keeps the local link instead of clearing it.
    local_universities = _local_universities(portal_id, records) if written else {}
    alias_map = load_alias_map(portal_id)
    erased = _erased_contacts(portal_id, [record.bitrix_id for record in records])
    rows = []
    for record in records:
        if record.bitrix_id in erased:
            continue
        row = _base(portal_id, record)
        row["skills"] = normalize_skills(row["skills"], alias_map)
        company = record.refs.get("company")
        if company:
            row["university_id"] = universities.get(company)
        else:
            row["university_id"] = local_universities.get(record.bitrix_id)
        row["profile_observed_at"] = record.date_modify or utcnow()
        row["source"] = "crm"
        rows.append(row)

    if not rows:
        return {}
    columns = [name for name in rows[0] if name not in ("portal_id", "bitrix_id")]
    columns.remove("source")
    return _write(Student, rows, columns, adopt=_adopt_student)


def _local_universities(portal_id: int, records: list[MappedRecord]) -> dict[int, int]:
    """Map the contacts of local students to the students' current university."""
    statement = select(Student.bitrix_id, Student.university_id).where(
        Student.portal_id == portal_id,
        Student.bitrix_id.in_([record.bitrix_id for record in records]),
        Student.university_id.is_not(None),
    )
    return {
        bitrix_id: university_id
        for bitrix_id, university_id in db.session.execute(statement)
    }


def _erased_contacts(portal_id: int, bitrix_ids: list[int]) -> set[int]:
    """Return the contacts whose student was erased.

    The CRM may still hold the person's data until the anonymisation intent is
    delivered, or someone may type it in again, so the mirror never copies a
    contact onto an erased student.
    """
    statement = (
        select(Student.bitrix_id)
        .join(StudentErasure, StudentErasure.student_id == Student.id)
        .where(Student.portal_id == portal_id, Student.bitrix_id.in_(bitrix_ids))
    )
    return set(db.session.execute(statement).scalars())


def _internships(portal_id: int, records: list[MappedRecord]) -> Pending:
    employers = local_ids(
        Employer, portal_id, {record.refs.get("company") for record in records}
    )
    alias_map = load_alias_map(portal_id)
    rows, pending = [], {}
    for record in records:
        employer_id = employers.get(record.refs.get("company") or 0)
        if employer_id is None:
            pending[record.bitrix_id] = "missing employer"
            continue
        row = _base(portal_id, record) | {"employer_id": employer_id}
        # Stored like a student's skills, so routing compares the same names.
        row["required_skills"] = normalize_skills(row["required_skills"], alias_map)
        rows.append(row)

    columns = [*records[0].values, "employer_id"]
    before = _internship_statuses(portal_id, [row["bitrix_id"] for row in rows])
    pending.update(_write(Internship, rows, columns))
    _notify_opened(portal_id, rows, before, pending)
    return pending


def _internship_statuses(portal_id: int, bitrix_ids: list[int]) -> dict[int, str]:
    if not bitrix_ids:
        return {}
    rows = db.session.execute(
        select(Internship.bitrix_id, Internship.status).where(
            Internship.portal_id == portal_id, Internship.bitrix_id.in_(bitrix_ids)
        )
    )
    return {bitrix_id: status for bitrix_id, status in rows}


def _notify_opened(
    portal_id: int, rows: Rows, before: dict[int, str], pending: Pending
) -> None:
    """Queue `internship.opened` for rows that became open, new rows included."""
    opened = {
        row["bitrix_id"]
        for row in rows
        if row.get("status") == "open"
        and before.get(row["bitrix_id"]) != "open"
        and row["bitrix_id"] not in pending
    }
    for internship_id in local_ids(Internship, portal_id, opened).values():
        notify_after_commit(INTERNSHIP_OPENED, portal_id, internship_id)


def _applications(
    portal_id: int, records: list[MappedRecord], stage_moves: list[StageMove] | None
) -> Pending:
    links = _application_links(portal_id, records)
    rows, pending = [], {}
    for record in records:
        row, reason = _application_row(portal_id, record, links)
        if reason:
            pending[record.bitrix_id] = reason
        else:
            rows.append(row)

    before = _application_stages(portal_id, [row["bitrix_id"] for row in rows])
    if stage_moves is not None:
        for row in rows:
            old_stage = before.get(row["bitrix_id"])
            if old_stage is not None and old_stage != row["stage"]:
                stage_moves.append((row["bitrix_id"], row["stage"]))
                row["stage"] = old_stage
    columns = [
        "stage",
        "assigned_user_id",
        "student_id",
        "internship_id",
        "employer_id",
        "university_id",
    ]
    pending.update(_write(Application, rows, columns, adopt=_adopt_application))
    if stage_moves is None:
        _record_stage_changes(portal_id, rows, before, pending)

    # The upsert is plain SQL, so the ORM flush hook that keeps the summaries
    # current does not see it.
    written = {row["bitrix_id"] for row in rows if row["bitrix_id"] not in pending}
    refresh_application_summary(
        portal_id, local_ids(Application, portal_id, written).values()
    )
    return pending


def _application_links(portal_id: int, records: list[MappedRecord]) -> dict[str, Any]:
    def refs(name: str) -> set[int | None]:
        return {record.refs.get(name) for record in records}

    students = db.session.execute(
        select(Student.bitrix_id, Student.id, Student.university_id).where(
            Student.portal_id == portal_id,
            Student.bitrix_id.in_([v for v in refs("contact") if v]),
        )
    )
    internships = db.session.execute(
        select(Internship.bitrix_id, Internship.id, Internship.employer_id).where(
            Internship.portal_id == portal_id,
            Internship.bitrix_id.in_([v for v in refs("internship") if v]),
        )
    )
    return {
        "students": {row[0]: (row[1], row[2]) for row in students},
        "internships": {row[0]: (row[1], row[2]) for row in internships},
        "employers": local_ids(Employer, portal_id, refs("company")),
    }


def _application_row(
    portal_id: int, record: MappedRecord, links: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    student = links["students"].get(record.refs.get("contact") or 0)
    internship = links["internships"].get(record.refs.get("internship") or 0)
    if student is None:
        return {}, "missing contact"
    if internship is None:
        return {}, "missing internship"

    employer_id = links["employers"].get(record.refs.get("company") or 0)
    row = _base(portal_id, record)
    row.update(
        student_id=student[0],
        university_id=student[1],
        internship_id=internship[0],
        employer_id=employer_id or internship[1],
        source="crm",
    )
    return row, ""


def _application_stages(portal_id: int, bitrix_ids: list[int]) -> dict[int, str]:
    if not bitrix_ids:
        return {}
    rows = db.session.execute(
        select(Application.bitrix_id, Application.stage).where(
            Application.portal_id == portal_id, Application.bitrix_id.in_(bitrix_ids)
        )
    )
    return {bitrix_id: stage for bitrix_id, stage in rows}


def _record_stage_changes(
    portal_id: int, rows: Rows, before: dict[int, str], pending: Pending
) -> None:
    moved = {
        row["bitrix_id"]: (before[row["bitrix_id"]], row["stage"])
        for row in rows
        if row["bitrix_id"] in before
        and before[row["bitrix_id"]] != row["stage"]
        and row["bitrix_id"] not in pending
    }
    if not moved:
        return
    ids = local_ids(Application, portal_id, set(moved))
    db.session.add_all(
        ApplicationStageChange(
            portal_id=portal_id,
            application_id=ids[bitrix_id],
            from_stage=old,
            to_stage=new,
            reason="changed in the CRM",
        )
        for bitrix_id, (old, new) in moved.items()
        if bitrix_id in ids
    )


def _base(portal_id: int, record: MappedRecord) -> dict[str, Any]:
    return {"portal_id": portal_id, "bitrix_id": record.bitrix_id, **record.values}


Adopt = Callable[[int, dict[str, Any]], bool]


def _write(model: Any, rows: Rows, columns: Any, adopt: Adopt | None = None) -> Pending:
    """Upsert `rows`; on a unique-constraint conflict, retry row by row.

    A conflict other than on (portal, bitrix_id) means a local row already has
    the same identity (an e-mail, a student and internship pair). `adopt` may
    link that row to the CRM entity; otherwise the record stays pending.
    """
    if not rows:
        return {}
    update_columns = [*columns, "updated_at"]
    rows = [row | {"updated_at": utcnow()} for row in rows]
    key = ("portal_id", "bitrix_id")
    try:
        with db.session.begin_nested():
            upsert(model, rows, key, update_columns)
        return {}
    except IntegrityError:
        log.info("%s: bulk upsert hit a unique conflict; retrying row by row", model)

    pending: Pending = {}
    for row in rows:
        try:
            with db.session.begin_nested():
                upsert(model, [row], key, update_columns)
        except IntegrityError:
            if adopt is None or not adopt(row["portal_id"], row):
                pending[row["bitrix_id"]] = (
                    f"conflicts with a local {model.__tablename__}"
                )
    return pending


def _adopt_student(portal_id: int, row: dict[str, Any]) -> bool:
    """Link a local student with the same e-mail and no contact yet, else drop keys.

    The app creates students from its form before their contact exists, so the
    contact's first event can arrive while the local row has no bitrix_id.
    """
    email = row.get("email_normalized")
    if email:
        local = db.session.execute(
            select(Student).where(
                Student.portal_id == portal_id,
                Student.email_normalized == email,
                Student.bitrix_id.is_(None),
            )
        ).scalar_one_or_none()
        if local is not None:
            return _try_update(Student, local.id, row)

    # Another contact has the same e-mail or student number: keep the person
    # in the mirror without the identity keys that clash.
    reduced = row | {"email_normalized": None, "student_number": None}
    try:
        with db.session.begin_nested():
            upsert(Student, [reduced], ("portal_id", "bitrix_id"), _columns(reduced))
        return True
    except IntegrityError:
        return False


def _adopt_application(portal_id: int, row: dict[str, Any]) -> bool:
    local = db.session.execute(
        select(Application)
        .where(
            Application.portal_id == portal_id,
            Application.internship_id == row["internship_id"],
            Application.student_id == row["student_id"],
            Application.bitrix_id.is_(None),
        )
        # A withdrawn application and a newer one may share the pair.
        .order_by(Application.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return local is not None and _try_update(Application, local.id, row)


def _try_update(model: Any, local_id: int, row: dict[str, Any]) -> bool:
    values = {name: row[name] for name in _columns(row)} | {
        "bitrix_id": row["bitrix_id"]
    }
    values.pop("source", None)
    try:
        with db.session.begin_nested():
            db.session.execute(
                update(model)
                .where(model.id == local_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        return True
    except IntegrityError:
        return False


def _columns(row: dict[str, Any]) -> list[str]:
    return [name for name in row if name not in ("portal_id", "bitrix_id")]


def _mark_dependants(
    portal_id: int, ref: str, bitrix_ids: list[int], reason: str
) -> None:
    db.session.execute(
        update(CrmRecord)
        .where(
            CrmRecord.portal_id == portal_id,
            CrmRecord.kind == "application",
            CrmRecord.deleted_at.is_(None),
            CrmRecord.refs[ref].as_integer().in_(bitrix_ids),
        )
        .values(pending=reason)
        .execution_options(synchronize_session=False)
    )


PROJECTORS: dict[str, Callable[[int, list[MappedRecord]], Pending]] = {
    "university": _universities,
    "employer": _employers,
    "internship": _internships,
}
