"""Errors as RFC 9457 problem details (`application/problem+json`)."""

from dataclasses import dataclass, field
from typing import Any

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException

PROBLEM_MIME = "application/problem+json"
# Problem types are URNs: they name the error and are not meant to be fetched.
PROBLEM_BASE = "urn:b24app:problem:"


@dataclass
class FieldError:
    """One invalid input value: its location ("body.email", "query.limit")."""

    field: str
    message: str


@dataclass
class ApiError(Exception):
    """An error the API reports to the caller as a problem document."""

    status: int
    title: str
    detail: str = ""
    kind: str = ""
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"


def validation_error(detail: str, errors: list[FieldError]) -> ApiError:
    return ApiError(422, "Invalid request", detail, "validation", errors)


def not_found(what: str, ident: Any) -> ApiError:
    return ApiError(404, "Not found", f"{what} {ident} not found", "not-found")


def problem_response(error: ApiError) -> Response:
    """Render `error` as a problem document with its status and headers."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (error.kind or str(error.status)),
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    if error.errors:
        body["errors"] = [
            {"field": item.field, "message": item.message} for item in error.errors
        ]

    response = jsonify(body)
    response.status_code = error.status
    response.mimetype = PROBLEM_MIME
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def from_http_exception(error: HTTPException) -> ApiError:
    """Wrap a Werkzeug error (404 route, 405 method, 413 body) as an ApiError."""
    status = error.code or 500
    headers = {}
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return ApiError(
        status, error.name, error.description or "", str(status), headers=headers
    )
