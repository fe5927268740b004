"""Identity resolution: one Student row per person across channels and universities.

A request is matched to an existing student by CRM contact id, then by (university,
student number), then by normalized e-mail, then by normalized phone. A match is
updated (blanks filled, newer non-empty values win); otherwise a student is created.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError

from b24app.extensions import db
from b24app.program.models import Student, University
from b24app.program.normalize import (
    as_utc,
    clean_name,
    email_domain,
    normalize_email,
    normalize_phone,
)
from b24app.program.skills import load_alias_map, normalize_skills
from b24app.tenancy.models import utcnow
from b24app.tenancy.scoping import get_scoped, scoped

log = logging.getLogger(__name__)


class IdentityError(ValueError):
    """The request has nothing to identify a person by, or names a foreign row."""


@dataclass
class StudentData:
    """A student's details as one channel (form, API, CRM, import) sent them."""

    email: str | None = None
    phone: str | None = None
    university_id: int | None = None
    student_number: str | None = None
    first_name: str = ""
    last_name: str = ""
    course: int | None = None
    programme: str = ""
    skills: list[str] = field(default_factory=list)
    consent_text: str | None = None
    consent_at: datetime | None = None
    bitrix_id: int | None = None
    source: str = "form"
    # When the channel saw these values; older data only fills blanks.
    observed_at: datetime | None = None


@dataclass
class IdentityMatch:
    student: Student
    created: bool
    matched_by: str
    conflicts: list[str] = field(default_factory=list)


@dataclass
class _Keys:
    university_id: int | None
    student_number: str | None
    email: str | None
    phone: str | None
    bitrix_id: int | None


def resolve_student(
    portal_id: int, data: StudentData, alias_map: dict[str, str] | None = None
) -> IdentityMatch:
    """Find or create the student for `data` and lock the row for this transaction.

    Flushes but does not commit. Raises IdentityError when `data` carries no
    student number with a university, no valid e-mail, phone or CRM id.
    """
    alias_map = alias_map if alias_map is not None else load_alias_map(portal_id)
    keys = _identity_keys(portal_id, data)

    found = _find_existing(portal_id, keys)
    if found is not None:
        student, matched_by = found
        conflicts = _merge(portal_id, student, data, keys, alias_map)
        return IdentityMatch(student, False, matched_by, conflicts)

    student = _new_student(portal_id, data, keys, alias_map)
    try:
        with db.session.begin_nested():
            db.session.add(student)
    except IntegrityError:
        # A concurrent request created the same person first; use its row.
        found = _find_existing(portal_id, keys)
        if found is None:
            raise
        student, matched_by = found
        conflicts = _merge(portal_id, student, data, keys, alias_map)
        return IdentityMatch(student, False, matched_by, conflicts)

    log.info("portal %s: created student %s", portal_id, student.id)
    return IdentityMatch(student, True, "new")


def _identity_keys(portal_id: int, data: StudentData) -> _Keys:
    email = normalize_email(data.email)
    university_id = data.university_id
    if university_id is not None:
        university = get_scoped(University, portal_id, id=university_id)
        if university is None:
            raise IdentityError(f"university {university_id} not found")
    elif email:
        university_id = university_for_email(portal_id, email)

    student_number = (data.student_number or "").strip() or None
    keys = _Keys(
        university_id=university_id,
        student_number=student_number,
        email=email,
        phone=normalize_phone(data.phone),
        bitrix_id=data.bitrix_id,
    )
    has_number = keys.student_number and keys.university_id
    if not (has_number or keys.email or keys.phone or keys.bitrix_id):
        raise IdentityError(
            "a student needs a valid e-mail, a phone, a CRM contact id or a "
            "student number with a university"
        )
    return keys


def university_for_email(portal_id: int, email_normalized: str) -> int | None:
    """Find the university whose e-mail domains include this address's domain."""
    domain = email_domain(email_normalized)
    statement = (
        scoped(University, portal_id)
        .where(University.deleted.is_(False))
        .order_by(University.id)
    )
    for university in db.session.execute(statement).scalars():
        for known in university.domains or []:
            known = known.lower().lstrip("@")
            if domain == known or domain.endswith("." + known):
                return university.id
    return None


def _find_existing(portal_id: int, keys: _Keys) -> tuple[Student, str] | None:
    lookups: list[tuple[str, Select | None]] = [
        ("bitrix_id", _by(portal_id, bitrix_id=keys.bitrix_id)),
        (
            "student_number",
            _by(
                portal_id,
                university_id=keys.university_id,
                student_number=keys.student_number,
            ),
        ),
        ("email", _by(portal_id, email_normalized=keys.email)),
        ("phone", _by(portal_id, phone_normalized=keys.phone)),
    ]
    for matched_by, statement in lookups:
        if statement is None:
            continue
        student = db.session.execute(statement).scalars().first()
        if student is not None:
            return student, matched_by
    return None


def _by(portal_id: int, **filters: object) -> Select | None:
    """Build a locking lookup of students by `filters`; None if a value is missing."""
    if any(value is None for value in filters.values()):
        return None
    return (
        scoped(Student, portal_id)
        .filter_by(**filters)
        .order_by(Student.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _new_student(
    portal_id: int, data: StudentData, keys: _Keys, alias_map: dict[str, str]
) -> Student:
    return Student(
        portal_id=portal_id,
        bitrix_id=keys.bitrix_id,
        university_id=keys.university_id,
        student_number=keys.student_number,
        first_name=clean_name(data.first_name),
        last_name=clean_name(data.last_name),
        email=data.email.strip() if keys.email else None,
        email_normalized=keys.email,
        phone=data.phone.strip() if keys.phone else None,
        phone_normalized=keys.phone,
        course=data.course,
        programme=clean_name(data.programme),
        skills=normalize_skills(data.skills, alias_map),
        consent_text=data.consent_text,
        consent_at=data.consent_at,
        source=data.source,
        profile_observed_at=data.observed_at or utcnow(),
    )


def _merge(
    portal_id: int,
    student: Student,
    data: StudentData,
    keys: _Keys,
    alias_map: dict[str, str],
) -> list[str]:
    """Update `student` from `data`; returns the identity fields left unchanged."""
    observed_at = data.observed_at or utcnow()
    newer = observed_at >= as_utc(student.profile_observed_at)
    conflicts = _merge_identity(portal_id, student, data, keys, newer)

    for name, value in (
        ("first_name", clean_name(data.first_name)),
        ("last_name", clean_name(data.last_name)),
        ("course", data.course),
        ("programme", clean_name(data.programme)),
    ):
        if value not in (None, "") and (newer or not getattr(student, name)):
            setattr(student, name, value)

    if data.consent_at and (
        student.consent_at is None or data.consent_at > as_utc(student.consent_at)
    ):
        student.consent_at = data.consent_at
        student.consent_text = data.consent_text

    # Skills from every channel add up, because no channel lists all of them.
    incoming = normalize_skills(data.skills, alias_map)
    student.skills = sorted(set(student.skills or []) | set(incoming))
    if newer:
        student.profile_observed_at = observed_at

    db.session.flush()
    return conflicts


def _merge_identity(
    portal_id: int, student: Student, data: StudentData, keys: _Keys, newer: bool
) -> list[str]:
    """Fill blank identity fields; a value owned by another student is a conflict."""
    conflicts: list[str] = []
    if keys.bitrix_id and student.bitrix_id is None:
        if _owned_by_other(portal_id, student, bitrix_id=keys.bitrix_id):
            conflicts.append("bitrix_id")
        else:
            student.bitrix_id = keys.bitrix_id

    if keys.university_id and keys.student_number:
        same_key = (
            student.university_id == keys.university_id
            and student.student_number == keys.student_number
        )
        if student.student_number is None and student.university_id in (
            None,
            keys.university_id,
        ):
            if _owned_by_other(
                portal_id,
                student,
                university_id=keys.university_id,
                student_number=keys.student_number,
            ):
                conflicts.append("student_number")
            else:
                student.university_id = keys.university_id
                student.student_number = keys.student_number
        elif not same_key:
            conflicts.append("student_number")
    elif keys.university_id and student.university_id is None:
        student.university_id = keys.university_id

    replace_email = newer or not student.email_normalized
    if keys.email and keys.email != student.email_normalized and replace_email:
        if _owned_by_other(portal_id, student, email_normalized=keys.email):
            conflicts.append("email")
        else:
            student.email = data.email.strip()
            student.email_normalized = keys.email

    replace_phone = newer or not student.phone_normalized
    if keys.phone and keys.phone != student.phone_normalized and replace_phone:
        student.phone = data.phone.strip()
        student.phone_normalized = keys.phone

    if conflicts:
        log.warning(
            "portal %s: student %s kept its %s; another student has the new value",
            portal_id,
            student.id,
            ", ".join(conflicts),
        )
    return conflicts


def _owned_by_other(portal_id: int, student: Student, **filters: object) -> bool:
    statement = scoped(Student, portal_id).filter_by(**filters)
    statement = statement.where(Student.id != student.id).limit(1)
    return db.session.execute(statement).first() is not None
