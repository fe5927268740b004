"""`b24app events ...`: maintenance of the event inbox."""

import datetime as dt

import click
from flask.cli import AppGroup

from b24app.events.sweeper import sweep_inbox

events_command = AppGroup("events", help="Maintain the event inbox.")


@events_command.command("sweep")
@click.option(
    "--min-age",
    default=30,
    show_default=True,
    help="Seconds a pending row must wait before the sweeper enqueues it.",
)
@click.option(
    "--stale-after",
    default=900,
    show_default=True,
    help="Seconds after which a queued row whose job never ran is enqueued again.",
)
def sweep(min_age: int, stale_after: int) -> None:
    """Enqueue inbox rows that no job is going to process."""
    count = sweep_inbox(
        min_age=dt.timedelta(seconds=min_age),
        stale_after=dt.timedelta(seconds=stale_after),
    )
    click.echo(f"{count} inbox rows enqueued")
