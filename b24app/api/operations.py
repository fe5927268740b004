"""The `operation` decorator: one place that turns a typed handler into a route.

Each handler declares its query model, body model and response model. The
decorator authenticates the caller, validates input with pydantic, applies the
idempotency key on POST, serializes the result and records the operation for
the OpenAPI description, so the description is generated from the same
declarations that run.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError

from b24app.api.auth import authenticate_request
from b24app.api.idempotency import replay_or_run
from b24app.api.problems import ApiError, FieldError, validation_error
from b24app.web.params import json_depth_exceeds

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The deepest nesting of arrays and objects a request body may have. The API's
# bodies need about four levels, and Python's recursive JSON parser fails with
# RecursionError near the interpreter's recursion limit (1,000 by default).
MAX_JSON_DEPTH = 32


@dataclass
class Operation:
    """One route as the OpenAPI description lists it."""

    path: str
    method: str
    endpoint: str
    summary: str
    tag: str
    status: int
    response: type[BaseModel] | None
    query: type[BaseModel] | None = None
    body: Any = None
    errors: tuple[int, ...] = ()
    admin_only: bool = False
    description: str = ""
    # Other success statuses that return the same model.
    also: tuple[int, ...] = ()


OPERATIONS: list[Operation] = []

# Problems every authenticated operation may return.
COMMON_ERRORS = (400, 401, 403, 422, 429)


@dataclass
class Result:
    """A handler's response when it is not a plain 200 with a model."""

    model: BaseModel | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def operation(
    path: str,
    method: str,
    *,
    summary: str,
    tag: str,
    response: type[BaseModel] | None,
    status: int = 200,
    query: type[BaseModel] | None = None,
    body: Any = None,
    errors: tuple[int, ...] = (),
    admin_only: bool = False,
    also: tuple[int, ...] = (),
    shows_secret: bool = False,
) -> Callable:
    """Register `handler(principal, **inputs)` at `path` under /api/v1."""

    def register(handler: Callable) -> Callable:
        endpoint = handler.__name__

        @functools.wraps(handler)
        def view(**path_args: Any) -> Response:
            principal = authenticate_request()
            if admin_only and not principal.is_admin:
                raise ApiError(
                    403,
                    "Forbidden",
                    "this operation needs a portal admin token",
                    "forbidden",
                )
            inputs = dict(path_args)
            if query is not None:
                inputs["query"] = parse_query(query)
            if body is not None:
                inputs["body"] = parse_body(body)

            def run() -> Response:
                return render(handler(principal, **inputs), status)

            if method in ("POST", "PATCH"):
                return replay_or_run(principal, run, shows_secret)
            return run()

        bp.add_url_rule(path, endpoint, view, methods=[method])
        OPERATIONS.append(
            Operation(
                path=path,
                method=method.lower(),
                endpoint=f"{bp.name}.{endpoint}",
                summary=summary,
                tag=tag,
                status=status,
                response=response,
                query=query,
                body=body,
                errors=tuple(sorted({*COMMON_ERRORS, *errors})),
                admin_only=admin_only,
                description=(handler.__doc__ or "").strip(),
                also=also,
            )
        )
        return handler

    return register


def render(result: Any, default_status: int) -> Response:
    if not isinstance(result, Result):
        result = Result(result, default_status)
    if result.model is None:
        response = Response(status=result.status)
    else:
        response = jsonify(result.model.model_dump(mode="json"))
        response.status_code = result.status
    response.headers.update(result.headers)
    return response


def parse_query(model: type[BaseModel]) -> BaseModel:
    """Validate the query string; repeated or unknown parameters are rejected."""
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    known = set(model.model_fields)
    for name in request.args:
        items = request.args.getlist(name)
        if name not in known:
            errors.append(FieldError(f"query.{name}", "unknown query parameter"))
        elif len(items) > 1:
            errors.append(FieldError(f"query.{name}", "given more than once"))
        else:
            values[name] = items[0]
    if errors:
        raise validation_error("the query string has invalid parameters", errors)
    return validate(model, values, "query")


def parse_body(model: Any) -> Any:
    if not request.is_json:
        raise ApiError(
            415,
            "Unsupported media type",
            "send the request body as application/json",
            "unsupported-media-type",
        )
    if json_depth_exceeds(request.get_data(cache=True), MAX_JSON_DEPTH):
        raise ApiError(
            400,
            "Bad request",
            f"the body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels",
            "bad-json",
        )
    payload = request.get_json(silent=True)
    if payload is None:
        raise ApiError(400, "Bad request", "the body is not valid JSON", "bad-json")
    return validate(model, payload, "body")


def validate(model: Any, values: Any, location: str) -> Any:
    """Validate `values` against a pydantic model; errors name each bad field."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        errors = [
            FieldError(
                ".".join([location, *(str(part) for part in item["loc"])]),
                item["msg"],
            )
            for item in error.errors(include_url=False, include_input=False)
        ]
        raise validation_error(f"the request {location} is invalid", errors) from None
