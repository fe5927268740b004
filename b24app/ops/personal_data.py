"""`b24app ops export-student`, `erase-student` and `retention`: personal data."""

import json
import os
from pathlib import Path

import click
from flask.cli import AppGroup

from b24app.ops.portals import find_portal
from b24app.program.models import Student
from b24app.program.normalize import normalize_email
from b24app.program.personal_data.erase import StudentNotFound, erase_student
from b24app.program.personal_data.export import export_student
from b24app.program.personal_data.retention import (
    get_policy,
    run_retention,
    run_retention_all,
    set_policy,
)
from b24app.tenancy.models import Portal
from b24app.tenancy.scoping import get_scoped

retention_group = AppGroup("retention", help="Per-portal retention of personal data.")


def _portal(reference: str) -> Portal:
    portal = find_portal(reference)
    if portal is None:
        raise click.ClickException(
            f"portal {reference!r} not found: give its id, member_id or domain"
        )
    return portal


def _student(portal: Portal, student_id: int | None, email: str | None) -> Student:
    if (student_id is None) == (email is None):
        raise click.UsageError("give exactly one of --student and --email")
    if student_id is not None:
        student = get_scoped(Student, portal.id, id=student_id)
        wanted = f"id {student_id}"
    else:
        student = get_scoped(
            Student, portal.id, email_normalized=normalize_email(email)
        )
        wanted = f"e-mail {email}"
    if student is None:
        raise click.ClickException(f"no student with {wanted} in portal {portal.id}")
    return student


@click.command("export-student")
@click.option(
    "--portal", "portal_ref", required=True, help="Portal id, member_id or domain."
)
@click.option("--student", "student_id", type=int, help="Student id in the app.")
@click.option("--email", help="The student's e-mail address.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON here (created readable by its owner only); default stdout.",
)
def export_student_command(
    portal_ref: str, student_id: int | None, email: str | None, output: Path | None
) -> None:
    """Export every row about one student as one JSON document."""
    student = _student(_portal(portal_ref), student_id, email)
    text = json.dumps(export_student(student), ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
        return

    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text + "\n")
    click.echo(f"student {student.id} exported to {output}", err=True)


@click.command("erase-student")
@click.option(
    "--portal", "portal_ref", required=True, help="Portal id, member_id or domain."
)
@click.option("--student", "student_id", type=int, required=True, help="Student id.")
@click.option(
    "--crm/--no-crm",
    default=False,
    help="Also queue anonymisation of the student's CRM contact (default: no).",
)
@click.confirmation_option(
    "--yes", prompt="Anonymise this student's personal data? This cannot be undone."
)
def erase_student_command(portal_ref: str, student_id: int, crm: bool) -> None:
    """Anonymise one student in the app, keeping applications for the figures."""
    portal = _portal(portal_ref)
    try:
        result = erase_student(portal.id, student_id, crm=crm)
    except StudentNotFound as error:
        raise click.ClickException(str(error)) from None

    if result.already_erased:
        click.echo(f"student {student_id} was already erased")
    for table, count in sorted(result.changed_rows.items()):
        click.echo(f"{table}: {count} row(s) anonymised")
    if result.crm_queued:
        click.echo("CRM contact anonymisation queued")
    click.echo(f"student {student_id} erased")


@retention_group.command("set")
@click.option(
    "--portal", "portal_ref", required=True, help="Portal id, member_id or domain."
)
@click.option(
    "--days", type=click.IntRange(min=1), required=True, help="Period in days."
)
@click.option("--crm/--no-crm", default=False, help="Also anonymise CRM contacts.")
def retention_set_command(portal_ref: str, days: int, crm: bool) -> None:
    """Turn retention on for a portal, or change its period."""
    portal = _portal(portal_ref)
    set_policy(portal.id, days, crm)
    click.echo(
        f"portal {portal.id}: retention {days} day(s), CRM {'on' if crm else 'off'}"
    )


@retention_group.command("off")
@click.option(
    "--portal", "portal_ref", required=True, help="Portal id, member_id or domain."
)
def retention_off_command(portal_ref: str) -> None:
    """Turn retention off for a portal."""
    portal = _portal(portal_ref)
    policy = get_policy(portal.id)
    set_policy(portal.id, None, policy.anonymise_in_crm if policy else False)
    click.echo(f"portal {portal.id}: retention off")


@retention_group.command("run")
@click.option("--portal", "portal_ref", help="Only this portal; default every portal.")
@click.option("--dry-run", is_flag=True, help="List the students, change nothing.")
def retention_run_command(portal_ref: str | None, dry_run: bool) -> None:
    """Anonymise students inactive for longer than their portal's period."""
    if portal_ref is None:
        reports = run_retention_all(dry_run=dry_run)
    else:
        portal = _portal(portal_ref)
        report = run_retention(portal.id, dry_run=dry_run)
        if report is None:
            click.echo(f"portal {portal.id}: retention is off")
        reports = [report] if report else []

    verb = "would anonymise" if dry_run else "anonymised"
    for report in reports:
        ids = ", ".join(str(id_) for id_ in report.student_ids) or "-"
        click.echo(
            f"portal {report.portal_id}: {verb} {len(report.student_ids)} student(s) "
            f"inactive since {report.cutoff:%Y-%m-%d}: {ids}"
        )
