"""`b24app sync ...`: full sync, reconciliation, status and failed-job retries."""

import json

import click
from flask.cli import AppGroup

from b24app.sync.fullsync import start_full_sync
from b24app.sync.outbound import deliver_outbox
from b24app.sync.reconcile import delta_sync, read_offline_events
from b24app.sync.status import retry_failed, sync_status
from b24app.sync.university_sync import NotInCrm, start_university_sync

sync_group = AppGroup("sync", help="Keep the local mirror equal to the CRM.")

portal_option = click.option(
    "--portal", "portal_id", type=int, required=True, help="Portal id (portal.id)."
)


@sync_group.command("full")
@portal_option
@click.option(
    "--university",
    "university_id",
    type=int,
    help="Sync only this university (university.id): its company, students "
    "and their applications.",
)
@click.option(
    "--now", is_flag=True, help="Run in this process instead of on the sync queue."
)
def full_command(portal_id: int, university_id: int | None, now: bool) -> None:
    """Start (or resume) a full sync of a portal or of one of its universities."""
    if university_id is None:
        run = start_full_sync(portal_id, run_now=now)
        click.echo(f"full sync run {run.id}: {run.status}")
        return

    try:
        run = start_university_sync(portal_id, university_id, run_now=now)
    except (LookupError, NotInCrm) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"university {university_id} sync run {run.id}: {run.status}")


@sync_group.command("delta")
@portal_option
def delta_command(portal_id: int) -> None:
    """Store every entity modified since the last delta sync, in this process."""
    counts = delta_sync(portal_id)
    click.echo(f"delta sync stored {counts}")


@sync_group.command("offline")
@portal_option
def offline_command(portal_id: int) -> None:
    """Apply offline events (or run a delta sync where the plan has none)."""
    click.echo(json.dumps(read_offline_events(portal_id)))


@sync_group.command("outbox")
@portal_option
def outbox_command(portal_id: int) -> None:
    """Deliver pending CRM write intents of a portal, in this process."""
    click.echo(f"{deliver_outbox(portal_id)} intents sent")


@sync_group.command("status")
@portal_option
def status_command(portal_id: int) -> None:
    """Print the sync status of a portal as JSON."""
    click.echo(json.dumps(sync_status(portal_id), indent=2, default=str))


@sync_group.command("retry-failed")
@click.option("--portal", "portal_id", type=int, help="Only this portal's jobs.")
def retry_failed_command(portal_id: int | None) -> None:
    """Requeue failed event, sync and CRM-write jobs."""
    click.echo(f"{retry_failed(portal_id)} failed jobs requeued")
