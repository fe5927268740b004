"""`b24app demo`: the emulator and the app in one process, installed and populated."""

import logging
import os
import time
from pathlib import Path

import click
import requests
from flask_migrate import upgrade

from b24app import create_app, instance_path
from b24app.demo.populate import populate_crm, setup_program
from b24app.demo.servers import BackgroundServer, app_settings, emulator_settings
from b24app.emulator import create_app as create_emulator
from b24app.emulator.seed import seed_portal
from b24app.extensions import db
from b24app.jobs import get_jobs
from b24app.logs import configure_logging
from b24app.portals.manifest import Manifest, load_manifest
from b24app.program.models import Application, Internship, Student, University
from b24app.public.pages import ensure_public_page
from b24app.sync.outbound import enqueue_outbox
from b24app.tenancy.clients import client_for
from b24app.tenancy.models import Portal

log = logging.getLogger(__name__)


@click.command("demo")
@click.option("--port", default=5000, show_default=True, help="The app's port.")
@click.option(
    "--emulator-port", default=8081, show_default=True, help="The portal's port."
)
@click.option(
    "--students", default=200, show_default=True, help="Generated students to seed."
)
@click.option(
    "--exit-after-setup",
    is_flag=True,
    help="Stop once the portal is installed and populated (for scripts and tests).",
)
def demo_command(port: int, emulator_port: int, students: int, exit_after_setup: bool):
    """Run a seeded emulator portal and the app, install it and fill it with data."""
    configure_logging("WARNING")
    app_url = f"http://127.0.0.1:{port}"
    emulator_url = f"http://127.0.0.1:{emulator_port}"

    manifest = load_manifest()
    emulator = create_emulator(emulator_settings(app_url, manifest))
    state = emulator.extensions["b24emulator"]
    state.set_addresses("http", f"127.0.0.1:{emulator_port}")
    click.echo(f"Seeding the portal: {seed_portal(state, students=students)}")
    portal_server = BackgroundServer("portal", emulator, "127.0.0.1", emulator_port)

    settings = app_settings(emulator_url, state.domain, app_url, state)
    settings.update(demo_database())
    app = create_app(settings)
    with app.app_context():
        upgrade()
    # Alembic's logging setup replaces ours during the upgrade; put ours back.
    configure_logging("WARNING")
    app_server = BackgroundServer("app", app, "127.0.0.1", port)
    portal_server.start()
    app_server.start()

    try:
        with app.app_context():
            portal = install(app, state, app_url, manifest)
            populate(app, state, portal)
            print_links(emulator_url, app_url, state, portal)
        if not exit_after_setup:
            click.echo("Press Ctrl+C to stop.")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("Stopping.")
    finally:
        app_server.stop()
        portal_server.stop()


def demo_database() -> dict[str, str]:
    """Return settings for a fresh SQLite file per run, unless DATABASE_URL is set.

    The emulated portal starts empty on every run, so a mirror kept from an
    earlier run would point at CRM records that no longer exist.
    """
    if os.environ.get("DATABASE_URL"):
        click.echo("DATABASE_URL is set: the demo adds its portal to that database.")
        return {}

    folder = Path(instance_path())
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "demo.sqlite3"
    database.unlink(missing_ok=True)
    return {"DATABASE_URL": f"sqlite:///{database}"}


def settle(app, state, timeout: float = 300.0) -> None:
    """Wait until the portal has sent its events and the app has run its jobs."""
    deadline = time.monotonic() + timeout
    jobs = get_jobs(app)
    while time.monotonic() < deadline:
        state.events.wait_idle(timeout=30)
        jobs.inline.drain(timeout=max(1.0, deadline - time.monotonic()))
        if (
            state.events.wait_idle(timeout=0.5)
            and not jobs.inline.pending.unfinished_tasks
        ):
            return
    raise click.ClickException("the demo portal did not settle in time")


def install(app, state, app_url: str, manifest: Manifest) -> Portal:
    """Install the app the way the portal's install wizard does."""
    query, body = state.frame_fields(lang="ru")
    response = requests.post(
        app_url + manifest.handlers["install"], params=query, data=body, timeout=60
    )
    if response.status_code != 200 or "installFinish" not in response.text:
        raise click.ClickException(
            f"the install page failed with HTTP {response.status_code}"
        )

    # The page called BX24.installFinish(); the portal then sends ONAPPINSTALL.
    state.install_app()
    settle(app, state)
    portal = db.session.execute(
        db.select(Portal).where(Portal.member_id == state.member_id)
    ).scalar_one()
    click.echo(f"Installed into portal {portal.domain} (local id {portal.id})")
    return portal


def populate(app, state, portal: Portal) -> None:
    """Fill the CRM through REST, let the sync mirror it, then route applications."""
    crm_counts = populate_crm(portal, client_for(portal))
    settle(app, state)
    click.echo(f"CRM filled: {crm_counts}")

    program_counts = setup_program(portal.id)
    enqueue_outbox(portal.id)
    settle(app, state)
    click.echo(f"Program set up: {program_counts}")


def print_links(emulator_url: str, app_url: str, state, portal: Portal) -> None:
    """Print where to look: CRM cards with the app's tabs, the app, the form."""
    internship = first_row(Internship, portal.id, Internship.bitrix_id.is_not(None))
    application = first_row(Application, portal.id, Application.bitrix_id.is_not(None))
    student = first_row(Student, portal.id, Student.bitrix_id.is_not(None))
    university = first_row(
        University,
        portal.id,
        University.bitrix_id.is_not(None),
        University.id.in_(db.select(Student.university_id)),
    )
    page = ensure_public_page(portal.id)

    click.echo(
        "\nOpen in a browser (add ?lang=en for English, ?user=2 for a recruiter):"
    )
    click.echo(
        f"  App page:          {emulator_url}/marketplace/app/{state.app.app_id}/"
    )
    for label, entity, row in (
        ("Internship deal", "deal", internship),
        ("Application deal", "deal", application),
        ("Student contact", "contact", student),
        ("University", "company", university),
    ):
        tab = f"CRM_{entity.upper()}_DETAIL_TAB"
        if row is not None:
            click.echo(
                f"  {label + ':':<19}{emulator_url}/crm/{entity}/details/"
                f"{row.bitrix_id}/?tab={tab}"
            )
    click.echo(f"  Public form:       {app_url}/p/{page.slug}/")
    click.echo(f"  API docs:          {app_url}/api/v1/docs")


def first_row(model, portal_id: int, *conditions):
    statement = (
        db.select(model)
        .where(model.portal_id == portal_id, *conditions)
        .order_by(model.id)
        .limit(1)
    )
    return db.session.execute(statement).scalar_one_or_none()
