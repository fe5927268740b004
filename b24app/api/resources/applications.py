"""Applications: created through the routing engine, listed and read."""

from b24app.api import schemas
from b24app.api.auth import Principal
from b24app.api.operations import Result, operation
from b24app.api.problems import ApiError, FieldError, not_found
from b24app.api.resources.common import (
    external_url,
    list_page,
    load_or_404,
    queue_delivery,
)
from b24app.api.student_upsert import ForeignStudent, check_not_foreign, student_data
from b24app.program.models import Application
from b24app.program.routing import ApplicationRequest, route_application
from b24app.tenancy.scoping import scoped

SORTABLE = {
    "id": Application.id,
    "stage": Application.stage,
    "score": Application.score,
    "created_at": Application.created_at,
    "updated_at": Application.updated_at,
}


def visible_applications(principal: Principal):
    statement = scoped(Application, principal.portal_id)
    if not principal.is_admin:
        statement = statement.where(
            Application.university_id == principal.university_id
        )
    return statement


@operation(
    "/applications",
    "POST",
    summary="Submit an application",
    tag="applications",
    body=schemas.ApplicationCreate,
    response=schemas.RoutingResult,
    status=201,
    also=(200,),
)
def create_application(principal: Principal, body: schemas.ApplicationCreate) -> Result:
    """Route the application: 201 when accepted, 200 with the reason when rejected.

    The student is matched or created by the identity rules of the form.
    """
    try:
        data = student_data(principal, body.student, source="api")
        check_not_foreign(principal, data)
    except ForeignStudent as error:
        raise ApiError(
            403,
            "Forbidden",
            str(error),
            "forbidden",
            [FieldError("body.student", str(error))],
        ) from None

    outcome = route_application(
        principal.portal_id,
        ApplicationRequest(
            student=data,
            internship_id=body.internship_id,
            employer_id=body.employer_id,
            programme=body.programme,
            term_id=body.term_id,
            source="api",
            lang=body.lang,
        ),
    )
    # The routing committed the CRM write intents, a rejected attempt's new
    # contact included, so deliver them now rather than at the periodic sweep.
    queue_delivery(principal.portal_id)

    url = None
    if outcome.application_id is not None:
        url = external_url("api.get_application", application_id=outcome.application_id)
    result = schemas.RoutingResult(
        accepted=outcome.accepted,
        reason_code=outcome.reason_code,
        message=outcome.message,
        student_id=outcome.student_id,
        application_id=outcome.application_id,
        internship_id=outcome.internship_id,
        decision_id=outcome.decision_id,
        assignee_user_id=outcome.assignee_user_id,
        score=outcome.score,
        application_url=url,
    )
    if outcome.accepted:
        return Result(result, 201, {"Location": url} if url else {})
    return Result(result, 200)


@operation(
    "/applications",
    "GET",
    summary="List applications",
    tag="applications",
    query=schemas.ApplicationQuery,
    response=schemas.ApplicationPage,
)
def list_applications(
    principal: Principal, query: schemas.ApplicationQuery
) -> schemas.ApplicationPage:
    """List applications; a university key gets only its own students'."""
    statement = visible_applications(principal)
    for name in ("stage", "internship_id", "student_id", "university_id"):
        value = getattr(query, name)
        if value is not None:
            statement = statement.where(getattr(Application, name) == value)
    if query.created_from:
        statement = statement.where(Application.created_at >= query.created_from)
    if query.created_to:
        statement = statement.where(Application.created_at <= query.created_to)
    return list_page(
        statement, query, SORTABLE, "id", schemas.ApplicationPage, schemas.Application
    )


@operation(
    "/applications/<int:application_id>",
    "GET",
    summary="Get an application",
    tag="applications",
    response=schemas.Application,
    errors=(404,),
)
def get_application(principal: Principal, application_id: int) -> schemas.Application:
    application = load_or_404(Application, principal, application_id, "application")
    if not principal.is_admin and application.university_id != principal.university_id:
        raise not_found("application", application_id)
    return schemas.Application.model_validate(application)
