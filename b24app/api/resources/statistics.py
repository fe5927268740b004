"""Statistics: the analytics figures of the program and of one university."""

from b24app.analytics.figures import dashboard_figures, university_figures
from b24app.analytics.filters import Filters
from b24app.analytics.organizations import NotFound
from b24app.api import schemas
from b24app.api.auth import Principal, require_university_access
from b24app.api.operations import operation
from b24app.api.problems import FieldError, not_found, validation_error


def filters_of(query: schemas.StatisticsQuery, university_id: int | None) -> Filters:
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise validation_error(
            "the date range is empty",
            [FieldError("query.date_from", "must not be after date_to")],
        )
    return Filters(
        term_id=query.term_id,
        university_id=university_id,
        employer_id=query.employer_id,
        internship_id=query.internship_id,
        date_from=query.date_from,
        date_to=query.date_to,
    )


@operation(
    "/statistics/program",
    "GET",
    summary="Get the program's figures",
    tag="statistics",
    query=schemas.StatisticsQuery,
    response=schemas.Figures,
    admin_only=True,
)
def get_program_statistics(
    principal: Principal, query: schemas.StatisticsQuery
) -> schemas.Figures:
    """Return the dashboard figures of the whole portal (portal admin token only)."""
    figures = dashboard_figures(principal.portal_id, filters_of(query, None))
    return schemas.Figures(figures)


@operation(
    "/statistics/universities/<int:university_id>",
    "GET",
    summary="Get one university's figures",
    tag="statistics",
    query=schemas.StatisticsQuery,
    response=schemas.Figures,
    errors=(404,),
)
def get_university_statistics(
    principal: Principal, university_id: int, query: schemas.StatisticsQuery
) -> schemas.Figures:
    """Return one university's figures; a university key reads only its own."""
    require_university_access(principal, university_id)
    filters = filters_of(query, None)
    try:
        figures = university_figures(principal.portal_id, university_id, filters)
    except NotFound:
        raise not_found("university", university_id) from None
    return schemas.Figures(figures)
