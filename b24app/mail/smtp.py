"""Send one message through the SMTP server in SMTP_URL.

SMTP_URL reads `smtp://user:password@host:port` (port 25 by default) or
`smtps://...` for implicit TLS (port 465). SMTP_STARTTLS=1 upgrades a plain
connection with STARTTLS before logging in. Without SMTP_URL nothing is sent.
"""

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import current_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    starttls: bool
    timeout: float


def smtp_settings() -> SmtpSettings | None:
    """Read the SMTP settings from the config; None when SMTP_URL is not set."""
    url = current_app.config.get("SMTP_URL")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("invalid SMTP_URL: use smtp://user:password@host:port")

    implicit_tls = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if implicit_tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit_tls,
        starttls=bool(current_app.config.get("SMTP_STARTTLS")),
        timeout=float(current_app.config.get("SMTP_TIMEOUT", 20)),
    )


def send_message(message: EmailMessage) -> bool:
    """Send `message`; return False, logging at INFO, when SMTP is not configured.

    SMTP errors propagate, so the calling job fails and is retried.
    """
    settings = smtp_settings()
    if settings is None:
        log.info("SMTP_URL is not set: not sending %r", message["Subject"])
        return False
    if not message["From"]:
        message["From"] = current_app.config["MAIL_FROM"]

    connection_class = smtplib.SMTP_SSL if settings.implicit_tls else smtplib.SMTP
    with connection_class(
        settings.host, settings.port, timeout=settings.timeout
    ) as connection:
        if settings.starttls and not settings.implicit_tls:
            connection.starttls()
        if settings.username:
            connection.login(settings.username, settings.password or "")
        connection.send_message(message)

    log.info("sent mail %r to %s", message["Subject"], settings.host)
    return True
