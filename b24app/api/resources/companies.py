"""Companies: the employers that host internships, read-only."""

from sqlalchemy import func

from b24app.api import schemas
from b24app.api.auth import Principal
from b24app.api.operations import operation
from b24app.api.resources.common import list_page, load_or_404
from b24app.program.models import Employer
from b24app.tenancy.scoping import scoped

SORTABLE = {
    "id": Employer.id,
    "name": Employer.name,
    "created_at": Employer.created_at,
    "updated_at": Employer.updated_at,
}


@operation(
    "/companies",
    "GET",
    summary="List employer companies",
    tag="companies",
    query=schemas.CompanyQuery,
    response=schemas.CompanyPage,
)
def list_companies(
    principal: Principal, query: schemas.CompanyQuery
) -> schemas.CompanyPage:
    statement = scoped(Employer, principal.portal_id).where(Employer.deleted.is_(False))
    if query.name:
        statement = statement.where(
            Employer.name.icontains(query.name, autoescape=True)
        )
    if query.city:
        statement = statement.where(func.lower(Employer.city) == query.city.lower())
    if query.industry:
        statement = statement.where(
            func.lower(Employer.industry) == query.industry.lower()
        )
    return list_page(
        statement, query, SORTABLE, "id", schemas.CompanyPage, schemas.Company
    )


@operation(
    "/companies/<int:company_id>",
    "GET",
    summary="Get an employer company",
    tag="companies",
    response=schemas.Company,
    errors=(404,),
)
def get_company(principal: Principal, company_id: int) -> schemas.Company:
    employer = load_or_404(Employer, principal, company_id, "company")
    return schemas.Company.model_validate(employer)
