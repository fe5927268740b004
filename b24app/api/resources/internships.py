"""Internships: the portal's catalogue, read-only through the API."""

from sqlalchemy import cast, func
from sqlalchemy.dialects.postgresql import JSONB

from b24app.api import schemas
from b24app.api.auth import Principal
from b24app.api.operations import operation
from b24app.api.problems import not_found
from b24app.api.resources.common import list_page, load_or_404
from b24app.program.models import Internship, InternshipStatus
from b24app.program.skills import load_alias_map, normalize_skills
from b24app.tenancy.scoping import scoped

SORTABLE = {
    "id": Internship.id,
    "title": Internship.title,
    "status": Internship.status,
    "seats": Internship.seats,
    "created_at": Internship.created_at,
    "updated_at": Internship.updated_at,
}


def visible_internships(principal: Principal):
    """Select visible internships; a university key does not see drafts."""
    statement = scoped(Internship, principal.portal_id)
    if not principal.is_admin:
        statement = statement.where(Internship.status != InternshipStatus.DRAFT)
    return statement


@operation(
    "/internships",
    "GET",
    summary="List internships",
    tag="internships",
    query=schemas.InternshipQuery,
    response=schemas.InternshipPage,
)
def list_internships(
    principal: Principal, query: schemas.InternshipQuery
) -> schemas.InternshipPage:
    """Filter by status, employer, required skill, city and start dates."""
    statement = visible_internships(principal)
    if query.status:
        statement = statement.where(Internship.status == query.status)
    if query.employer_id:
        statement = statement.where(Internship.employer_id == query.employer_id)
    if query.city:
        statement = statement.where(func.lower(Internship.city) == query.city.lower())
    if query.starts_from:
        statement = statement.where(Internship.starts_on >= query.starts_from)
    if query.starts_to:
        statement = statement.where(Internship.starts_on <= query.starts_to)
    if query.skill:
        statement = statement.where(skill_clause(principal.portal_id, query.skill))

    return list_page(
        statement,
        query,
        SORTABLE,
        "id",
        schemas.InternshipPage,
        schemas.Internship,
    )


def skill_clause(portal_id: int, skill: str):
    """Match a canonical skill inside the JSON list of required skills."""
    names = normalize_skills([skill], load_alias_map(portal_id)) or [skill.lower()]
    # NOTE: JSONB containment is PostgreSQL only; the API is not served on the
    # embedded SQLite setup.
    return cast(Internship.required_skills, JSONB).contains([names[0]])


@operation(
    "/internships/<int:internship_id>",
    "GET",
    summary="Get an internship",
    tag="internships",
    response=schemas.Internship,
    errors=(404,),
)
def get_internship(principal: Principal, internship_id: int) -> schemas.Internship:
    internship = load_or_404(Internship, principal, internship_id, "internship")
    if not principal.is_admin and internship.status == InternshipStatus.DRAFT:
        raise not_found("internship", internship_id)
    return schemas.Internship.model_validate(internship)
