"""The WSGI entry point for gunicorn: `gunicorn b24app.wsgi:app`."""

from b24app import create_app
from b24app.logs import configure_logging

app = create_app()
configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
