"""Turn the environment and a test's overrides into the Flask config."""

import logging
import secrets
from typing import Any

from cryptography.fernet import Fernet
from flask import Flask

from b24app.config import DEFAULTS, instance_secret, read_environment

log = logging.getLogger(__name__)


def load_settings(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill `app.config` from defaults, then the environment, then `overrides`."""
    app.config.update(DEFAULTS)
    app.config.update(read_environment())
    app.config.update(overrides or {})

    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret(
            app.instance_path, "secret_key", lambda: secrets.token_urlsafe(48)
        )
    if not app.config["B24_TOKEN_KEY"]:
        app.config["B24_TOKEN_KEY"] = instance_secret(
            app.instance_path, "token_key", lambda: Fernet.generate_key().decode()
        )

    database_url = with_driver(app.config["DATABASE_URL"] or default_database_url(app))
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(database_url))
    app.config["MAX_CONTENT_LENGTH"] = app.config.get("MAX_CONTENT_LENGTH") or (
        16 * 1024 * 1024
    )


def default_database_url(app: Flask) -> str:
    """Return an SQLite URL in the instance folder, so a newcomer needs no server."""
    import os

    os.makedirs(app.instance_path, exist_ok=True)
    return f"sqlite:///{os.path.join(app.instance_path, 'b24app.sqlite3')}"


def with_driver(database_url: str) -> str:
    """Name psycopg2 explicitly: SQLAlchemy 2.1 picks psycopg 3 for `postgresql://`."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg2://" + database_url[len(prefix) :]
    return database_url


def engine_options(database_url: str) -> dict[str, Any]:
    if database_url.startswith("sqlite"):
        # The in-process worker thread shares the file with request threads.
        return {"connect_args": {"check_same_thread": False, "timeout": 30}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


def warn_about_insecure_mode(app: Flask) -> None:
    if app.config["B24_ALLOW_INSECURE_PORTALS"]:
        log.warning(
            "B24_ALLOW_INSECURE_PORTALS is on: plain http and loopback portal hosts "
            "are accepted; use it only for tests and the demo"
        )
