"""The JSON API v1 under /api/v1: blueprint, errors, rate limits and its resources."""

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from b24app.api import ratelimit
from b24app.api.auth import forget_principal, reject_credentials_in_url
from b24app.api.operations import bp
from b24app.api.problems import ApiError, from_http_exception, problem_response

log = logging.getLogger(__name__)

PREFIX = "/api/v1"


def init_app(app: Flask) -> None:
    """Register the API blueprint with its error handlers and rate limits."""
    from b24app.api import docs  # noqa: F401
    from b24app.api.resources import (  # noqa: F401
        applications,
        companies,
        internships,
        statistics,
        students,
        sync,
        universities,
        webhooks,
    )

    ratelimit.init_app(app, bp)
    app.register_blueprint(bp)
    # Routing errors (unknown path, wrong method) are raised before a blueprint
    # is chosen, so the app-wide handler turns those under /api/v1 into problems.
    app.register_error_handler(HTTPException, handle_http_exception)


@bp.before_request
def guard_url_credentials() -> None:
    forget_principal()
    reject_credentials_in_url()


bp.teardown_request(forget_principal)


@bp.after_request
def add_headers(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    return ratelimit.add_draft_headers(response)


@bp.errorhandler(ApiError)
def handle_api_error(error: ApiError) -> Response:
    if error.status >= 500:
        log.error("API request failed: %s", error)
    return problem_response(error)


def handle_http_exception(error: HTTPException):
    """Render HTTP errors of API paths as problems; leave other paths alone."""
    if not request.path.startswith(PREFIX + "/") and request.path != PREFIX:
        return error
    return problem_response(from_http_exception(error))
