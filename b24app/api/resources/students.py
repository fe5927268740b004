"""Students: a university key reads and writes only its own university's students."""

from sqlalchemy import cast
from sqlalchemy.dialects.postgresql import JSONB

from b24app.api import schemas
from b24app.api.auth import Principal
from b24app.api.operations import operation
from b24app.api.problems import not_found
from b24app.api.resources.common import list_page, load_or_404
from b24app.api.student_upsert import upsert_students
from b24app.program.models import Student
from b24app.program.normalize import normalize_email
from b24app.program.skills import load_alias_map, normalize_skills
from b24app.tenancy.scoping import scoped

SORTABLE = {
    "id": Student.id,
    "last_name": Student.last_name,
    "created_at": Student.created_at,
    "updated_at": Student.updated_at,
}


def visible_students(principal: Principal):
    statement = scoped(Student, principal.portal_id)
    if not principal.is_admin:
        statement = statement.where(Student.university_id == principal.university_id)
    return statement


@operation(
    "/students",
    "GET",
    summary="List students",
    tag="students",
    query=schemas.StudentQuery,
    response=schemas.StudentPage,
)
def list_students(
    principal: Principal, query: schemas.StudentQuery
) -> schemas.StudentPage:
    """List students; a university key gets only its own."""
    statement = visible_students(principal)
    if query.university_id:
        statement = statement.where(Student.university_id == query.university_id)
    if query.email:
        email = normalize_email(query.email) or query.email.lower()
        statement = statement.where(Student.email_normalized == email)
    if query.course:
        statement = statement.where(Student.course == query.course)
    if query.skill:
        names = normalize_skills([query.skill], load_alias_map(principal.portal_id))
        skill = names[0] if names else query.skill.lower()
        statement = statement.where(cast(Student.skills, JSONB).contains([skill]))
    return list_page(
        statement, query, SORTABLE, "id", schemas.StudentPage, schemas.Student
    )


@operation(
    "/students/<int:student_id>",
    "GET",
    summary="Get a student",
    tag="students",
    response=schemas.Student,
    errors=(404,),
)
def get_student(principal: Principal, student_id: int) -> schemas.Student:
    """Another university's student is reported as not found."""
    student = load_or_404(Student, principal, student_id, "student")
    if not principal.is_admin and student.university_id != principal.university_id:
        raise not_found("student", student_id)
    return schemas.Student.model_validate(student)


@operation(
    "/students/bulk",
    "POST",
    summary="Create or update up to 1,000 students",
    tag="students",
    body=schemas.StudentBulkUpsert,
    response=schemas.BulkResult,
)
def bulk_upsert_students(
    principal: Principal, body: schemas.StudentBulkUpsert
) -> schemas.BulkResult:
    """Match each item by the identity rules of the form and the import.

    Valid items are written even when others are invalid. Each item's result
    records whether it was created, updated or rejected, and why.
    """
    return upsert_students(principal, body.items)
