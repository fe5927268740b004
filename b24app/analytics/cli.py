"""`b24app analytics ...`: maintenance of the pre-computed analytics data."""

import click
from flask.cli import AppGroup

from b24app.analytics.cache import bump_data_version
from b24app.analytics.summary import rebuild_summaries

analytics_group = AppGroup("analytics", help="Maintain the program figures.")


@analytics_group.command("rebuild")
@click.option(
    "--portal", "portal_id", type=int, required=True, help="Portal id (portal.id)."
)
def rebuild_command(portal_id: int) -> None:
    """Recompute a portal's application summaries and dashboard rollups."""
    count = rebuild_summaries(portal_id)
    bump_data_version(portal_id)
    click.echo(
        f"portal {portal_id}: {count} application summaries and the rollups rebuilt"
    )
