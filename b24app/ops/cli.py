"""`b24app ops` and `b24app keys`: commands for operators."""

import click
from cryptography.fernet import Fernet
from flask import current_app
from flask.cli import AppGroup
from redis import Redis

from b24app.jobs import QUEUE_NAMES, enqueue, get_jobs
from b24app.ops import keys, personal_data, portals
from b24app.ops.queues import queue_counts, retry_failed_jobs
from b24app.tenancy.crypto import TokenKeyError
from b24app.tenancy.models import Portal

ops_group = AppGroup("ops", help="Operate the installation: portals, keys, queues.")
keys_group = AppGroup("keys", help="Generate encryption keys.")
ops_group.add_command(personal_data.export_student_command)
ops_group.add_command(personal_data.erase_student_command)
ops_group.add_command(personal_data.retention_group)


def load_portal(reference: str) -> Portal:
    portal = portals.find_portal(reference)
    if portal is None:
        raise click.ClickException(
            f"portal {reference!r} not found: give its id, member_id or domain"
        )
    return portal


def redis_or_fail() -> Redis:
    redis = get_jobs().redis
    if redis is None:
        raise click.ClickException("REDIS_URL is not set: jobs run in-process")
    return redis


@ops_group.command("portals")
def list_portals_command() -> None:
    """List every portal with its state and waiting inbox events."""
    rows = portals.list_portals()
    if not rows:
        click.echo("no portals installed")
        return

    click.echo(f"{'id':>5}  {'state':<13} {'waiting':>7}  {'key':<8}  domain")
    for portal, waiting in rows:
        click.echo(
            f"{portal.id:>5}  {portal.state:<13} {waiting:>7}  "
            f"{portal.token_key_id or '-':<8}  {portal.domain}"
        )


@ops_group.command("portal")
@click.argument("reference")
def show_portal_command(reference: str) -> None:
    """Show one portal's state, inbox counts and recent failed events."""
    summary = portals.summarize_portal(load_portal(reference))
    portal = summary.portal

    click.echo(f"portal {portal.id}: {portal.domain} (member_id {portal.member_id})")
    click.echo(f"state: {portal.state} {portal.state_reason}".rstrip())
    click.echo(
        f"installed: {portal.installed_at}  uninstalled: {portal.uninstalled_at}"
    )
    click.echo(f"tokens: key {portal.token_key_id}, expire {portal.token_expires_at}")
    click.echo(f"inbox: {summary.inbox_by_status or 'empty'}")
    click.echo(f"oldest waiting event: {summary.oldest_waiting or '-'}")
    for event in summary.recent_failures:
        click.echo(
            f"failed event {event.id} {event.event} "
            f"{event.entity_type}:{event.entity_id} attempts={event.attempts}: "
            f"{event.error[:200]}"
        )


@ops_group.command("suspend")
@click.argument("reference")
@click.option("--reason", required=True, help="Why, shown in `ops portal`.")
def suspend_command(reference: str, reason: str) -> None:
    """Mark a portal suspended."""
    try:
        portals.suspend_portal(load_portal(reference), reason)
    except portals.PortalOperationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"portal {reference} suspended")


@ops_group.command("resume")
@click.argument("reference")
def resume_command(reference: str) -> None:
    """Make a suspended portal active again."""
    try:
        portals.resume_portal(load_portal(reference))
    except portals.PortalOperationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"portal {reference} resumed")


@ops_group.command("purge")
@click.argument("reference")
@click.confirmation_option(prompt="Delete all of this portal's data?")
def purge_command(reference: str) -> None:
    """Delete all data and tokens of a portal; the portal row stays, uninstalled."""
    deleted = portals.purge_portal(load_portal(reference))
    for table, count in sorted(deleted.items()):
        click.echo(f"{table}: {count} row(s) deleted")
    click.echo(f"portal {reference} purged")


@ops_group.command("rotate-token-key")
def rotate_token_key_command() -> None:
    """Re-encrypt stored tokens with the first key in B24_TOKEN_KEY."""
    try:
        report = keys.rotate_token_key(current_app.config["B24_TOKEN_KEY"])
    except TokenKeyError as error:
        raise click.ClickException(str(error)) from None

    click.echo(f"rows per key id before: {dict(report.before)}")
    click.echo(f"rows per key id after:  {dict(report.after)}")
    click.echo(
        f"{report.rotated} portal(s) re-encrypted, "
        f"{report.changed_meanwhile} changed meanwhile (run again to cover them)"
    )


@ops_group.command("queues")
def queues_command() -> None:
    """Show waiting and failed job counts per queue."""
    for counts in queue_counts(redis_or_fail()):
        click.echo(f"{counts.name:<8} waiting={counts.waiting} failed={counts.failed}")


@ops_group.command("retry-failed")
@click.argument("queues", nargs=-1)
def retry_failed_command(queues: tuple[str, ...]) -> None:
    """Requeue the failed jobs of QUEUES (all queues by default)."""
    redis = redis_or_fail()
    for name in queues or QUEUE_NAMES:
        if name not in QUEUE_NAMES:
            raise click.BadParameter(f"unknown queue {name!r}: use {QUEUE_NAMES}")
        click.echo(f"{name}: {retry_failed_jobs(redis, name)} job(s) requeued")


@ops_group.command("probe")
@click.option("--queue", default="default", type=click.Choice(QUEUE_NAMES))
def probe_command(queue: str) -> None:
    """Enqueue a no-op job; a worker on QUEUE logs "probe job ran"."""
    job_id = enqueue("b24app.ops.probe.probe", "from the ops command", queue=queue)
    click.echo(f"probe job {job_id} enqueued on {queue}")


@keys_group.command("generate")
def generate_key_command() -> None:
    """Print a new Fernet key for B24_TOKEN_KEY."""
    click.echo(Fernet.generate_key().decode())
