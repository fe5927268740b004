"""Rate limits per API key with Flask-Limiter: Redis when REDIS_URL, else memory.

`API_RATE_LIMIT` takes Flask-Limiter's notation ("600 per minute"). Responses
carry the X-RateLimit-* headers Flask-Limiter writes, the RateLimit-Limit,
RateLimit-Remaining and RateLimit-Reset (seconds) headers of the IETF draft,
and Retry-After in seconds on 429.
"""

import time

from flask import Blueprint, Flask, Response, current_app
from flask_limiter import Limiter

from b24app.api.auth import rate_limit_key

EXTENSION_KEY = "b24app.api.limiter"


def api_rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def init_app(app: Flask, bp: Blueprint) -> Limiter:
    limiter = Limiter(
        key_func=rate_limit_key,
        storage_uri=app.config.get("REDIS_URL") or "memory://",
        key_prefix="b24app-api",
        headers_enabled=True,
        retry_after="delta-seconds",
        strategy="fixed-window",
    )
    limiter.init_app(app)
    limiter.limit(api_rate_limit)(bp)
    app.extensions[EXTENSION_KEY] = limiter
    return limiter


def add_draft_headers(response: Response) -> Response:
    """Add the RateLimit-* headers of the IETF draft for the current limit."""
    limiter: Limiter | None = current_app.extensions.get(EXTENSION_KEY)
    current = limiter.current_limit if limiter else None
    if current is None:
        return response
    response.headers["RateLimit-Limit"] = str(current.limit.amount)
    response.headers["RateLimit-Remaining"] = str(current.remaining)
    response.headers["RateLimit-Reset"] = str(
        max(0, int(current.reset_at - time.time()))
    )
    return response
