"""Logging setup: context ids on every line, secret redaction, optional JSON output."""

import json
import logging
import re
import threading
import time
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
portal_id_var: ContextVar[int | None] = ContextVar("portal_id", default=None)
job_id_var: ContextVar[str | None] = ContextVar("job_id", default=None)

CONTEXT_FIELDS = ("request_id", "portal_id", "job_id")
# Ids a caller passes with `extra=`, e.g. extra={"entity_type": "deal", "entity_id": 5}.
ENTITY_FIELDS = ("entity_type", "entity_id", "event_id")

# Values that look like credentials in URLs, form bodies and JSON. Defence in depth:
# the code never passes a token to a log call, and this catches a slip.
SECRET_PATTERNS = [
    # First, so that "Authorization: Bearer x" keeps its scheme and loses only x.
    re.compile(r"(?i)(\b(?:bearer|basic)\s+)([A-Za-z0-9._~+/=-]+)"),
    re.compile(
        r"(?i)((?:auth|access_token|refresh_token|application_token|client_secret|"
        r"auth_id|refresh_id|token|secret|password)[\"']?\s*[=:]\s*[\"']?)"
        r"([^\s&\"',}]+)"
    ),
    # API keys, also under the names the API rejects in a URL. A whole name
    # only, so that "idempotency_key" or "monkey" stay readable.
    re.compile(
        r"(?i)((?<![A-Za-z0-9_])(?:api[_-]?key|key|authorization)"
        r"[\"']?\s*[=:]\s*[\"']?)(?!(?:bearer|basic)\s)([^\s&\"',}]+)"
    ),
    re.compile(r"(?i)(/rest/\d+/)([^/\s]+)"),
]


def redact(text: str) -> str:
    """Replace anything shaped like a credential with a placeholder."""
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(r"\1[redacted]", text)
    return text


class ContextFilter(logging.Filter):
    """Stamp the current request, portal and job ids on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.portal_id = portal_id_var.get()
        record.job_id = job_id_var.get()
        return True


class RedactingFilter(logging.Filter):
    """Render the message once, redacted, so no handler receives a raw secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg = cleaned
        record.args = None
        return True


class RepeatFilter(logging.Filter):
    """Let the same warning or error through at most `limit` times per window.

    The count of suppressed repeats is added to the next line that gets through,
    so a flood of identical failures neither fills the disk nor goes unseen.
    """

    def __init__(self, limit: int = 20, window: float = 60.0) -> None:
        super().__init__()
        self.limit = limit
        self.window = window
        self._seen: dict[tuple[str, str], tuple[float, int, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True

        key = (record.name, str(record.msg))
        now = time.monotonic()
        with self._lock:
            started, count, suppressed = self._seen.get(key, (now, 0, 0))
            if now - started > self.window:
                started, count = now, 0
            count += 1
            if count > self.limit:
                self._seen[key] = (started, count, suppressed + 1)
                return False
            self._seen[key] = (started, count, 0)

        if suppressed:
            record.msg = f"{record.msg} ({suppressed} identical lines suppressed)"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for central log collection."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in CONTEXT_FIELDS + ENTITY_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or self.formatException(
                record.exc_info
            )
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = (
    "%(asctime)s %(levelname)s %(name)s "
    "[req=%(request_id)s portal=%(portal_id)s job=%(job_id)s] %(message)s"
)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Install one stream handler on the root logger with the b24app filters.

    Called by entry points (CLI, gunicorn config), never at import time.
    """
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.addFilter(RepeatFilter())
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))

    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "b24app", False):
            root.removeHandler(existing)
    handler.b24app = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
