"""`b24app manifest`: what to enter in Bitrix24 when registering the app."""

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from b24app.portals.manifest import IMPLICIT_SCOPES, current_manifest


@click.command("manifest")
@click.option("--json", "as_json", is_flag=True, help="Print the values as JSON.")
@with_appcontext
def manifest_command(as_json: bool) -> None:
    """Print the URLs and scopes for the local-app form or the Market version card.

    URLs are built from B24_APP_URL, which must be the public HTTPS address.
    """
    manifest = current_manifest()
    app_url = current_app.config["B24_APP_URL"]
    values = {
        "handler_url": manifest.handler_url(app_url, "app"),
        "install_url": manifest.handler_url(app_url, "install"),
        "events_url": manifest.handler_url(app_url, "events"),
        "scopes": [s for s in manifest.scopes if s not in IMPLICIT_SCOPES],
        "events": list(manifest.events),
        "placements": [
            {
                "placement": spec.placement,
                "handler": manifest.placement_url(app_url, spec),
                "title": spec.title,
            }
            for spec in manifest.placements
        ],
        "version": manifest.version,
    }
    if as_json:
        click.echo(json.dumps(values, ensure_ascii=False, indent=2))
        return

    click.echo(f"Application {manifest.code}, version {manifest.version}")
    click.echo("")
    click.echo("Local application form / Market version card:")
    click.echo(f"  Handler path / Application URL:          {values['handler_url']}")
    click.echo(f"  Initial installation path / Installer URL: {values['install_url']}")
    click.echo(
        f"  Permissions (scopes):                     {', '.join(values['scopes'])}"
    )
    click.echo("  Script only (no user interface):          no")
    if manifest.placements:
        click.echo("  Market: turn on 'Add widgets'.")
    click.echo("")
    click.echo("Bound by the installer (nothing to enter):")
    click.echo(f"  Events -> {values['events_url']}: {', '.join(manifest.events)}")
    for spec in values["placements"]:
        click.echo(f"  Widget {spec['placement']} -> {spec['handler']}")
