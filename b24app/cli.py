"""The `b24app` console script: Flask's commands plus the app's own."""

import logging

import click
from flask.cli import FlaskGroup

from b24app import create_app
from b24app.logs import configure_logging


def build_app() -> "object":
    app = create_app()
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    logging.getLogger(__name__).debug("app created for the command line")
    return app


# FlaskGroup's own --version prints the Python, Flask and Werkzeug versions.
@click.group(cls=FlaskGroup, create_app=build_app, add_version_option=False)
@click.version_option(package_name="b24app", message="%(prog)s %(version)s")
def main() -> None:
    """b24app: the internship program app for Bitrix24."""


def register_commands() -> None:
    """Attach every command group; each lives with the subsystem it drives."""
    from b24app.analytics.cli import analytics_group
    from b24app.demo.cli import demo_command
    from b24app.emulator.cli import emulator_command
    from b24app.events.cli import events_command
    from b24app.ops.cli import keys_group, ops_group
    from b24app.ops.scheduler import scheduler_command
    from b24app.ops.worker import worker_command
    from b24app.portals.cli import manifest_command
    from b24app.program.import_cli import import_group
    from b24app.sync.cli import sync_group

    main.add_command(demo_command)
    main.add_command(emulator_command, "emulator")
    main.add_command(events_command)
    main.add_command(manifest_command)
    main.add_command(ops_group)
    main.add_command(keys_group)
    main.add_command(worker_command)
    main.add_command(scheduler_command)
    main.add_command(import_group)
    main.add_command(sync_group)
    main.add_command(analytics_group)


register_commands()
