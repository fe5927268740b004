"""The OpenAPI description and a readable page of it; both need no key."""

from flask import Response, jsonify, render_template, request

from b24app.api.openapi import build_spec
from b24app.api.operations import bp


def server_url() -> str:
    """Return the app's root URL, because the described paths start with /api/v1."""
    return request.url_root.rstrip("/")


@bp.get("/openapi.json")
def openapi_json() -> Response:
    response = jsonify(build_spec(server_url()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/docs")
def docs() -> str:
    """Server-rendered listing of paths, parameters and schemas, without scripts."""
    spec = build_spec(server_url())
    return render_template("api/docs.html", spec=spec)
