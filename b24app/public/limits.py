"""Rate limits of the public form, per client address (Flask-Limiter).

Counters live in Redis when REDIS_URL is set, so every app process shares them,
and in process memory otherwise. PUBLIC_FORM_RATE_LIMIT takes the limit string
Flask-Limiter reads, such as "5 per minute;50 per day".
"""

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def form_rate_limit() -> str:
    return current_app.config["PUBLIC_FORM_RATE_LIMIT"]


def init_app(app: Flask) -> None:
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://"
    )
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "b24app-public")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
