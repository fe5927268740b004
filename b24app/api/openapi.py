"""The OpenAPI 3.1 description, built from the registered operations and models."""

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from b24app.api.operations import OPERATIONS, Operation
from b24app.api.problems import PROBLEM_MIME
from b24app.api.schemas import Problem, StudentInput

API_VERSION = "1.0.0"
REF_TEMPLATE = "#/components/schemas/{model}"
PATH_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
MAX_ID = 2**31 - 1

ERROR_TITLES = {
    400: "The request is malformed",
    401: "The API key is missing, unknown or revoked",
    403: "The key may not do this",
    404: "Not found in the key's portal",
    409: "Conflicts with the current state",
    413: "The body is too large",
    415: "The body is not JSON",
    422: "A value is invalid",
    429: "Too many requests for this key",
    501: "Not implemented",
}
SUCCESS_TITLES = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content"}


def build_spec(server_url: str) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of every registered operation."""
    names, components = model_components()
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path = PATH_PARAMETER.sub(r"{\2}", "/api/v1" + op.path)
        paths.setdefault(path, {})[op.method] = operation_object(op, names)

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "b24app API",
            "version": API_VERSION,
            "description": (
                "The internship program of one Bitrix24 portal for universities "
                "and integrators. Authenticate with `Authorization: Bearer <key>`."
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def model_components() -> tuple[dict[tuple[type, str], str], dict[str, Any]]:
    """JSON Schemas of every model, as components; returns the ref of each."""
    wanted: set[tuple[type[BaseModel], str]] = {
        (Problem, "serialization"),
        (StudentInput, "validation"),
    }
    for op in OPERATIONS:
        if op.response is not None:
            wanted.add((op.response, "serialization"))
        if op.body is not None:
            wanted.add((op.body, "validation"))
        if op.query is not None:
            wanted.add((op.query, "validation"))

    ordered = sorted(wanted, key=lambda item: (item[0].__name__, item[1]))
    refs, top = models_json_schema(ordered, ref_template=REF_TEMPLATE)
    return refs, top.get("$defs", {})


def operation_object(op: Operation, refs: dict) -> dict[str, Any]:
    result: dict[str, Any] = {
        "operationId": op.endpoint.replace(".", "_"),
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": path_parameters(op) + query_parameters(op, refs),
        "responses": responses(op, refs),
    }
    description = op.description
    if op.admin_only:
        description = (description + "\n\nNeeds a portal admin token.").strip()
    if description:
        result["description"] = description
    if op.body is not None:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    if op.method == "post":
        result["parameters"].append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Retries with the same key and body return the "
                "stored response.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    return result


def path_parameters(op: Operation) -> list[dict[str, Any]]:
    parameters = []
    for converter, name in PATH_PARAMETER.findall(op.path):
        schema: dict[str, Any] = {"type": "string"}
        if converter == "int":
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        parameters.append(
            {"name": name, "in": "path", "required": True, "schema": schema}
        )
    return parameters


def query_parameters(op: Operation, refs: dict) -> list[dict[str, Any]]:
    if op.query is None:
        return []
    schema = op.query.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", []))
    parameters = []
    for name, property_schema in schema.get("properties", {}).items():
        description = property_schema.pop("description", None)
        property_schema.pop("title", None)
        parameter = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": property_schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def responses(op: Operation, refs: dict) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for status in (op.status, *op.also):
        response: dict[str, Any] = {"description": SUCCESS_TITLES.get(status, "OK")}
        if op.response is not None and status != 204:
            schema = refs[(op.response, "serialization")]
            response["content"] = {"application/json": {"schema": schema}}
        result[str(status)] = response

    problem = {PROBLEM_MIME: {"schema": refs[(Problem, "serialization")]}}
    errors = set(op.errors)
    if op.body is not None:
        errors |= {413, 415}
    for status in sorted(errors):
        result[str(status)] = {
            "description": ERROR_TITLES.get(status, "Error"),
            "content": problem,
        }
    return result
