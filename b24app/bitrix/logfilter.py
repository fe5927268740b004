"""A logging filter that masks credentials urllib3 would log at DEBUG.

urllib3 logs the request line of every call at DEBUG, and for an incoming
webhook that line contains the webhook secret (`/rest/1/<secret>/method`).
"""

from __future__ import annotations

import logging
import threading

from .errors import redact_url

_FILTERED_LOGGERS = ("urllib3.connectionpool",)
_install_guard = threading.Lock()


class CredentialFilter(logging.Filter):
    """Rewrite a record's message with webhook secrets and token values masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_url(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True


def install_credential_filter() -> None:
    """Attach one CredentialFilter to urllib3's connection-pool logger."""
    with _install_guard:
        for name in _FILTERED_LOGGERS:
            target = logging.getLogger(name)
            if not any(isinstance(f, CredentialFilter) for f in target.filters):
                target.addFilter(CredentialFilter())
