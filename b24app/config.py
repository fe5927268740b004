"""Configuration: every setting and its default, read from the environment."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Bitrix24's documented OAuth servers for cloud portals.
DEFAULT_OAUTH_SERVERS = "https://oauth.bitrix.info/,https://oauth.bitrix24.tech/"

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    "DATABASE_URL": None,
    "REDIS_URL": None,
    "B24_CLIENT_ID": "",
    "B24_CLIENT_SECRET": "",
    "B24_APP_URL": "http://127.0.0.1:5000",
    "B24_TOKEN_KEY": None,
    "B24_PORTAL_DOMAINS": "",
    "B24_OAUTH_SERVERS": DEFAULT_OAUTH_SERVERS,
    "B24_ALLOW_INSECURE_PORTALS": False,
    "B24_CA_BUNDLE": None,
    "B24_WEBHOOK_URL": None,
    "B24_BX24_JS_URL": "https://api.bitrix24.com/api/v1/",
    # The app manifest (scopes, handler paths, events, widgets); None = packaged.
    "B24_MANIFEST_PATH": None,
    # Extra origins allowed to frame the app's pages, space-separated, besides
    # the verified portal's own origin (the emulator's origin in tests).
    "B24_FRAME_ANCESTORS": "",
    "B24_RATE_LIMIT_BURST": 50,
    "B24_RATE_LIMIT_RATE": 2.0,
    "B24_HTTP_TIMEOUT": 65.0,
    "EVENT_MAX_BODY_BYTES": 256 * 1024,
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "text",
    "SMTP_URL": None,
    "MAIL_FROM": "b24app@localhost",
    # Upgrade a plain smtp:// connection with STARTTLS before logging in.
    "SMTP_STARTTLS": False,
    "SMTP_TIMEOUT": 20.0,
    # Flask-Limiter limits on public form posts per client address.
    "PUBLIC_FORM_RATE_LIMIT": "5 per minute;50 per day",
    # Requests per API key (or per address without a key) in Flask-Limiter's
    # notation. Responses carry the RateLimit-* headers.
    "API_RATE_LIMIT": "600 per minute",
    # Seconds a stored response to a POST with an Idempotency-Key is replayed.
    "API_IDEMPOTENCY_TTL": 24 * 3600,
    # Seconds between webhook delivery attempts, comma-separated in the
    # environment: 1 min, 5 min, 30 min, 2 h, 6 h, 12 h and 24 h, so a
    # receiver may be down for about two days.
    "WEBHOOK_RETRY_INTERVALS": (60, 300, 1800, 7200, 21600, 43200, 86400),
    # Failed deliveries in a row after which a webhook endpoint is disabled.
    "WEBHOOK_DISABLE_AFTER": 20,
    "METRICS_TOKEN": None,
    "READINESS_TIMEOUT": 2.0,
    "READINESS_REQUIRE_WORKERS": False,
    "WORKER_MAX_SILENCE": 120,
}

BOOLEAN_KEYS = {
    "B24_ALLOW_INSECURE_PORTALS",
    "READINESS_REQUIRE_WORKERS",
    "SMTP_STARTTLS",
}
INTEGER_KEYS = {
    "API_IDEMPOTENCY_TTL",
    "B24_RATE_LIMIT_BURST",
    "EVENT_MAX_BODY_BYTES",
    "WEBHOOK_DISABLE_AFTER",
    "WORKER_MAX_SILENCE",
}
INTEGER_LIST_KEYS = {"WEBHOOK_RETRY_INTERVALS"}
FLOAT_KEYS = {
    "B24_RATE_LIMIT_RATE",
    "B24_HTTP_TIMEOUT",
    "READINESS_TIMEOUT",
    "SMTP_TIMEOUT",
}


def parse_bool(value: str) -> bool:
    """Read a boolean flag the way operators write them: 1/0, true/false, yes/no."""
    normalized = value.strip().lower()
    if normalized in {"1", "true", "yes", "on"}:
        return True
    if normalized in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"invalid boolean value {value!r}: use 1 or 0")


def parse_int_list(value: str) -> tuple[int, ...]:
    """Read a comma-separated list of whole numbers such as "60,300,1800"."""
    numbers = tuple(int(item) for item in value.split(",") if item.strip())
    if not numbers:
        raise ValueError("the list is empty: give seconds such as 60,300")
    return numbers


def read_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings overridden by environment variables, typed."""
    environ = os.environ if environ is None else environ
    settings: dict[str, Any] = {}

    for key in DEFAULTS:
        if key not in environ:
            continue
        raw = environ[key]
        try:
            if key in BOOLEAN_KEYS:
                settings[key] = parse_bool(raw)
            elif key in INTEGER_KEYS:
                settings[key] = int(raw)
            elif key in FLOAT_KEYS:
                settings[key] = float(raw)
            elif key in INTEGER_LIST_KEYS:
                settings[key] = parse_int_list(raw)
            else:
                settings[key] = raw
        except ValueError as error:
            raise ValueError(f"invalid environment variable {key}: {error}") from None

    return settings


def instance_secret(instance_path: str, name: str, make: Any) -> str:
    """Read a generated secret from the instance folder, creating it on first use.

    Used only when the operator set no value, so the embedded demo runs with no
    setup while no secret is ever written in the source.
    """
    path = Path(instance_path) / name
    if path.exists():
        return path.read_text().strip()

    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    path.write_text(value)
    path.chmod(0o600)
    return value
