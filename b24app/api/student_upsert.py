"""Bulk student upsert: identity resolution per item, each in its own savepoint."""

import logging
from typing import Any

from pydantic import ValidationError

from b24app.api import schemas
from b24app.api.auth import Principal
from b24app.extensions import db
from b24app.program.identity import IdentityError, StudentData, resolve_student
from b24app.program.models import Student
from b24app.program.normalize import normalize_email, normalize_phone
from b24app.program.skills import load_alias_map
from b24app.tenancy.scoping import scoped

log = logging.getLogger(__name__)


class ForeignStudent(Exception):
    """The item names a student of another university than the caller's."""


def upsert_students(principal: Principal, items: list[Any]) -> schemas.BulkResult:
    """Write every valid item and commit once; invalid items are reported."""
    alias_map = load_alias_map(principal.portal_id)
    results = [
        upsert_one(principal, index, item, alias_map)
        for index, item in enumerate(items)
    ]
    db.session.commit()

    counts = {status: 0 for status in ("created", "updated", "invalid")}
    for result in results:
        counts[result.status] += 1
    log.info(
        "portal %s: bulk upsert by %s: %s",
        principal.portal_id,
        principal.scope_key,
        counts,
    )
    return schemas.BulkResult(items=results, **counts)


def upsert_one(
    principal: Principal, index: int, item: Any, alias_map: dict[str, str]
) -> schemas.BulkItemResult:
    try:
        student_input = schemas.StudentInput.model_validate(item)
        data = student_data(principal, student_input, source="api")
        with db.session.begin_nested():
            match = resolve_student(principal.portal_id, data, alias_map)
            check_same_university(principal, match.student)
    except ValidationError as error:
        return invalid(index, validation_messages(index, error))
    except (IdentityError, ForeignStudent) as error:
        return invalid(
            index, [schemas.ProblemField(field=f"items.{index}", message=str(error))]
        )

    return schemas.BulkItemResult(
        index=index,
        status="created" if match.created else "updated",
        id=match.student.id,
        matched_by=match.matched_by,
    )


def student_data(
    principal: Principal, student: schemas.StudentInput, source: str
) -> StudentData:
    """Identity data for the engine; a university key writes as its university."""
    university_id = student.university_id
    if not principal.is_admin:
        if university_id not in (None, principal.university_id):
            raise ForeignStudent(
                f"university_id {university_id} is not the key's university"
            )
        university_id = principal.university_id
    return StudentData(
        email=student.email,
        phone=student.phone,
        university_id=university_id,
        student_number=student.student_number,
        first_name=student.first_name,
        last_name=student.last_name,
        course=student.course,
        programme=student.programme,
        skills=list(student.skills),
        consent_text=student.consent_text,
        consent_at=student.consent_at,
        source=source,
    )


def check_same_university(principal: Principal, student: Student) -> None:
    """Raise when a university key's data matched another university's student."""
    if principal.is_admin or student.university_id == principal.university_id:
        return
    raise ForeignStudent("the e-mail or phone belongs to another university's student")


def check_not_foreign(principal: Principal, data: StudentData) -> None:
    """Raise when the e-mail or phone already names another university's student.

    Routing writes the student itself, so a university key's application is
    checked against existing students before it runs.
    """
    if principal.is_admin:
        return
    email = normalize_email(data.email)
    phone = normalize_phone(data.phone)
    for column, value in (
        (Student.email_normalized, email),
        (Student.phone_normalized, phone),
    ):
        if value is None:
            continue
        statement = scoped(Student, principal.portal_id).where(
            column == value, Student.university_id != principal.university_id
        )
        if db.session.execute(statement.limit(1)).first() is not None:
            raise ForeignStudent(
                "the e-mail or phone belongs to another university's student"
            )


def invalid(index: int, errors: list[schemas.ProblemField]) -> schemas.BulkItemResult:
    return schemas.BulkItemResult(index=index, status="invalid", errors=errors)


def validation_messages(
    index: int, error: ValidationError
) -> list[schemas.ProblemField]:
    return [
        schemas.ProblemField(
            field=".".join(["items", str(index), *(str(part) for part in item["loc"])]),
            message=item["msg"],
        )
        for item in error.errors(include_url=False, include_input=False)
    ]
