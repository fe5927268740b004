"""Liveness endpoint."""

from flask import Blueprint

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict, int]:
    """The process is up and serving requests; touches nothing else."""
    return {"status": "ok"}, 200
