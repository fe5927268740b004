"""Webhook endpoints: a university key registers URLs and reads the delivery log."""

import logging

from b24app.api import schemas
from b24app.api.auth import Principal
from b24app.api.operations import Result, operation
from b24app.api.problems import ApiError, FieldError, not_found, validation_error
from b24app.api.resources.common import external_url, list_page
from b24app.api.webhooks.models import WebhookAttempt, WebhookEndpoint
from b24app.api.webhooks.secrets import store_secret
from b24app.api.webhooks.signing import new_secret
from b24app.bitrix.errors import HostNotAllowed
from b24app.extensions import db
from b24app.tenancy.clients import host_policy
from b24app.tenancy.models import utcnow
from b24app.tenancy.scoping import get_scoped, scoped

log = logging.getLogger(__name__)

ENDPOINT_SORTABLE = {"id": WebhookEndpoint.id, "created_at": WebhookEndpoint.created_at}
ATTEMPT_SORTABLE = {"id": WebhookAttempt.id, "created_at": WebhookAttempt.created_at}


def load_endpoint(principal: Principal, endpoint_id: int) -> WebhookEndpoint:
    """Load the caller's endpoint; another university's is reported as not found."""
    endpoint = get_scoped(WebhookEndpoint, principal.portal_id, id=endpoint_id)
    visible = endpoint is not None and not endpoint.deleted
    if visible and not principal.is_admin:
        visible = endpoint.university_id == principal.university_id
    if not visible:
        raise not_found("webhook endpoint", endpoint_id)
    return endpoint


@operation(
    "/webhooks",
    "POST",
    summary="Register a webhook endpoint",
    tag="webhooks",
    body=schemas.WebhookEndpointCreate,
    response=schemas.WebhookEndpointCreated,
    status=201,
    errors=(409,),
    shows_secret=True,
)
def create_webhook(principal: Principal, body: schemas.WebhookEndpointCreate) -> Result:
    """Register an endpoint with a university key; the secret is returned only once."""
    if principal.is_admin:
        raise ApiError(
            403,
            "Forbidden",
            "webhook endpoints belong to a university: register them with a "
            "university key",
            "forbidden",
        )
    try:
        host_policy().check_outbound_url(body.url)
    except HostNotAllowed as error:
        raise validation_error(
            "the webhook URL is not allowed", [FieldError("body.url", str(error))]
        ) from None

    secret = new_secret()
    endpoint = WebhookEndpoint(
        portal_id=principal.portal_id,
        university_id=principal.university_id,
        api_key_id=principal.key_id,
        url=body.url,
        description=body.description,
        events=sorted(set(body.events)),
    )
    store_secret(endpoint, secret)
    db.session.add(endpoint)
    db.session.commit()
    log.info(
        "portal %s: webhook endpoint %s registered for university %s",
        principal.portal_id,
        endpoint.id,
        endpoint.university_id,
    )

    created = schemas.WebhookEndpointCreated(
        endpoint=schemas.WebhookEndpoint.model_validate(endpoint), secret=secret
    )
    location = external_url("api.get_webhook", endpoint_id=endpoint.id)
    return Result(created, 201, {"Location": location})


@operation(
    "/webhooks",
    "GET",
    summary="List webhook endpoints",
    tag="webhooks",
    query=schemas.PageQuery,
    response=schemas.WebhookEndpointPage,
)
def list_webhooks(
    principal: Principal, query: schemas.PageQuery
) -> schemas.WebhookEndpointPage:
    statement = scoped(WebhookEndpoint, principal.portal_id).where(
        WebhookEndpoint.deleted.is_(False)
    )
    if not principal.is_admin:
        statement = statement.where(
            WebhookEndpoint.university_id == principal.university_id
        )
    return list_page(
        statement,
        query,
        ENDPOINT_SORTABLE,
        "id",
        schemas.WebhookEndpointPage,
        schemas.WebhookEndpoint,
    )


@operation(
    "/webhooks/<int:endpoint_id>",
    "GET",
    summary="Get a webhook endpoint",
    tag="webhooks",
    response=schemas.WebhookEndpoint,
    errors=(404,),
)
def get_webhook(principal: Principal, endpoint_id: int) -> schemas.WebhookEndpoint:
    """Get an endpoint; `disabled_reason` explains why deliveries stopped."""
    return schemas.WebhookEndpoint.model_validate(load_endpoint(principal, endpoint_id))


@operation(
    "/webhooks/<int:endpoint_id>",
    "DELETE",
    summary="Delete a webhook endpoint",
    tag="webhooks",
    response=None,
    status=204,
    errors=(404,),
)
def delete_webhook(principal: Principal, endpoint_id: int) -> Result:
    """Pending deliveries to the endpoint are cancelled."""
    endpoint = load_endpoint(principal, endpoint_id)
    endpoint.deleted = True
    endpoint.active = False
    db.session.commit()
    return Result(None, 204)


@operation(
    "/webhooks/<int:endpoint_id>/enable",
    "POST",
    summary="Enable a disabled webhook endpoint",
    tag="webhooks",
    response=schemas.WebhookEndpoint,
    errors=(404,),
)
def enable_webhook(principal: Principal, endpoint_id: int) -> schemas.WebhookEndpoint:
    """Clears the failure count; deliveries failed meanwhile are not resent."""
    endpoint = load_endpoint(principal, endpoint_id)
    endpoint.active = True
    endpoint.disabled_reason = ""
    endpoint.disabled_at = None
    endpoint.consecutive_failures = 0
    endpoint.updated_at = utcnow()
    db.session.commit()
    return schemas.WebhookEndpoint.model_validate(endpoint)


@operation(
    "/webhooks/<int:endpoint_id>/attempts",
    "GET",
    summary="List an endpoint's delivery attempts",
    tag="webhooks",
    query=schemas.PageQuery,
    response=schemas.WebhookAttemptPage,
    errors=(404,),
)
def list_webhook_attempts(
    principal: Principal, endpoint_id: int, query: schemas.PageQuery
) -> schemas.WebhookAttemptPage:
    """List the delivery log: status code, duration and error of every attempt."""
    endpoint = load_endpoint(principal, endpoint_id)
    statement = scoped(WebhookAttempt, principal.portal_id).where(
        WebhookAttempt.endpoint_id == endpoint.id
    )
    return list_page(
        statement,
        query,
        ATTEMPT_SORTABLE,
        "-id",
        schemas.WebhookAttemptPage,
        schemas.WebhookAttempt,
    )
