"""Readiness endpoint for load balancers and orchestrators."""

from flask import Blueprint, current_app

from b24app.ops.readiness import run_checks

bp = Blueprint("readiness", __name__)


@bp.get("/readyz")
def readyz() -> tuple[dict, int]:
    """200 when every required check passed, else 503; the body names each check."""
    ready, results = run_checks(current_app._get_current_object())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {result.name: result.to_dict() for result in results},
    }
    return body, 200 if ready else 503
