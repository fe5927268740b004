"""`b24app analytics ...`: maintenance of the pre-computed analytics data."""

import click
from flask.cli import AppGroup

from b24app.analytics.rollup_jobs import rebuild_portal

analytics_group = AppGroup("analytics", help="Maintain the program figures.")


@analytics_group.command("rebuild")
@click.option(
    "--portal", "portal_id", type=int, required=True, help="Portal id (portal.id)."
)
def rebuild_command(portal_id: int) -> None:
    """Recompute a portal's application summaries and dashboard rollups.

    The dashboard queues this rebuild itself for a portal whose rollups were
    never built; the command runs it at once.
    """
    try:
        count = rebuild_portal(portal_id)
    except LookupError as error:
        raise click.BadParameter(str(error), param_hint="--portal") from error
    click.echo(
        f"portal {portal_id}: {count} application summaries and the rollups rebuilt"
    )
