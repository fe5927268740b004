"""`b24app import students`: check or import a university's student list."""

from pathlib import Path

import click
from flask.cli import AppGroup

from b24app.program.importing import ImportRejected, commit_import, preview_import

import_group = AppGroup("import", help="Import program data from files.")


@import_group.command("students")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--portal", "portal_id", type=int, required=True, help="Portal id.")
@click.option(
    "--university", "university_id", type=int, required=True, help="University id."
)
@click.option(
    "--commit", is_flag=True, help="Write the students; without it, only preview."
)
@click.option("--rows", default=20, show_default=True, help="Rows to show in preview.")
@click.option(
    "--lang",
    type=click.Choice(["ru", "en"]),
    default="ru",
    show_default=True,
    help="Language of error messages.",
)
def import_students(
    path: Path,
    portal_id: int,
    university_id: int,
    commit: bool,
    rows: int,
    lang: str,
) -> None:
    """Check a CSV or XLSX student list, then import it with --commit.

    Every row is validated first; a file with any error is rejected whole, and
    the errors are listed with their line numbers.
    """
    content = path.read_bytes()
    try:
        if commit:
            result = commit_import(
                portal_id, university_id, path.name, content, lang=lang
            )
            click.echo(f"imported: {result.created} new, {result.updated} updated")
            for conflict in result.conflicts:
                click.echo(f"warning: {conflict}")
            return
        parsed = preview_import(
            portal_id, university_id, path.name, content, limit=rows, lang=lang
        )
    except LookupError as error:
        raise click.ClickException(str(error)) from None
    except ImportRejected as rejected:
        for error in rejected.errors:
            click.echo(f"error: {error}", err=True)
        raise click.ClickException("nothing was imported") from None

    for row in parsed.rows:
        student = row.student
        click.echo(
            f"line {row.line}: {student.last_name} {student.first_name} "
            f"<{student.email or '-'}> {student.student_number or '-'} -> {row.match}"
        )
    for error in parsed.errors:
        click.echo(f"error: {error}", err=True)
    if parsed.errors:
        raise click.ClickException(f"{len(parsed.errors)} errors; fix them first")
