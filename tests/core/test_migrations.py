"""Migrations: one head, and upgrading an empty database gives exactly the models."""

import logging
import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from b24app import ROOT, create_app
from b24app.extensions import db
from b24app.logs import configure_logging
from b24app.settings import with_driver


def migration_scripts() -> ScriptDirectory:
    return ScriptDirectory(str(ROOT / "migrations"))


def test_alembic_has_single_head():
    heads = migration_scripts().get_heads()

    assert len(heads) == 1, f"several migration heads: {heads}"


def test_every_revision_is_named():
    for revision in migration_scripts().walk_revisions():
        assert revision.doc, f"revision {revision.revision} has no message"


@pytest.fixture
def empty_database(database_url):
    base, _, _ = database_url.rpartition("/")
    name = f"b24app_migrate_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(with_driver(database_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield f"{base}/{name}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_matches_models(app_config, empty_database):
    app = create_app({**app_config, "DATABASE_URL": empty_database})

    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True}
            )
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()

    assert differences == []


def test_upgrade_keeps_the_apps_log_handlers(app_config, tmp_path):
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    config = {**app_config, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    app = create_app(config)
    configure_logging("WARNING")
    before = list(root.handlers)

    try:
        with app.app_context():
            upgrade()
        after = list(root.handlers)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])

    assert after == before
    assert any(getattr(handler, "b24app", False) for handler in after)


def plain_value(column: sa.Column) -> object:
    """A value of the column's type, for a required column a test does not set."""
    kinds = (
        (sa.Boolean, False),
        (sa.Integer, 0),
        (sa.Float, 0.0),
        (sa.DateTime, datetime(2026, 3, 1, tzinfo=UTC)),
        (sa.Date, date(2026, 3, 1)),
        (sa.JSON, []),
        (sa.String, "x"),
    )
    return next(value for kind, value in kinds if isinstance(column.type, kind))


def insert_row(connection: sa.Connection, name: str, **values: object) -> int:
    """Insert a row of table `name` as the database has it now; return its key."""
    table = sa.Table(name, sa.MetaData(), autoload_with=connection)
    for column in table.c:
        needed = not column.nullable and column.server_default is None
        if needed and column.name not in values:
            values[column.name] = plain_value(column)
    statement = table.insert().values(**values).returning(*table.primary_key)
    return connection.execute(statement).scalar_one()


def insert_summary(connection: sa.Connection, portal_id: int) -> None:
    """One application and its summary, in the schema before migration 0006."""
    employer = insert_row(connection, "employer", portal_id=portal_id)
    internship = insert_row(
        connection, "internship", portal_id=portal_id, employer_id=employer
    )
    student = insert_row(connection, "student", portal_id=portal_id)
    keys = {
        "portal_id": portal_id,
        "student_id": student,
        "internship_id": internship,
        "employer_id": employer,
    }
    application = insert_row(connection, "application", **keys)
    insert_row(connection, "application_summary", application_id=application, **keys)


def test_rollups_migration_marks_empty_portals(app_config, empty_database):
    app = create_app({**app_config, "DATABASE_URL": empty_database})

    with app.app_context():
        upgrade(revision="0005_reapply_after_withdrawal")
        with db.engine.begin() as connection:
            empty = insert_row(connection, "portal", member_id="empty")
            busy = insert_row(connection, "portal", member_id="busy")
            insert_summary(connection, busy)
        upgrade()
        with db.engine.connect() as connection:
            marked = connection.execute(sa.text("SELECT portal_id FROM rollup_state"))
            marked = list(marked.scalars())
        db.engine.dispose()

    assert marked == [empty]
