"""`b24app emulator`: run the portal emulator in the foreground."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import click
from werkzeug.serving import run_simple

from . import create_app
from .seed import seed_portal
from .testing import QuietRequestHandler
from .tls import generate_tls_files

logger = logging.getLogger(__name__)


@click.command("emulator")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
)
@click.option("--port", default=8081, show_default=True, type=int, help="TCP port.")
@click.option(
    "--tls/--no-tls",
    default=False,
    show_default=True,
    help="Serve HTTPS with a freshly generated CA and server certificate.",
)
@click.option(
    "--seed/--no-seed",
    default=False,
    show_default=True,
    help="Load the deterministic demo data set at start.",
)
@click.option("--app-url", default=None, help="Base URL of the app's handlers.")
def emulator_command(
    host: str, port: int, tls: bool, seed: bool, app_url: str | None
) -> None:
    """Run a Bitrix24 portal and OAuth server emulator for local development."""
    scheme = "https" if tls else "http"
    app = create_app({"APP_URL": app_url} if app_url else None)
    state = app.extensions["b24emulator"]
    state.set_addresses(scheme, f"{host}:{port}")
    ssl_context = None
    if tls:
        files = generate_tls_files(Path(tempfile.mkdtemp(prefix="b24emu-tls-")))
        ssl_context = files.server_context()
        click.echo(f"CA certificate:  {files.ca_cert}")
    if seed:
        counts = seed_portal(state)
        click.echo(f"Seeded: {counts}")
    click.echo(f"Portal URL:      {state.base_url}")
    click.echo(f"OAuth token URL: {state.base_url}/oauth/token/")
    click.echo(f"client_id:       {state.config['CLIENT_ID']}")
    click.echo(f"client_secret:   {state.config['CLIENT_SECRET']}")
    click.echo(f"member_id:       {state.member_id}")
    run_simple(
        host,
        port,
        app,
        threaded=True,
        ssl_context=ssl_context,
        request_handler=QuietRequestHandler,
    )
