"""Migrations: one head, and upgrading an empty database gives exactly the models."""

import logging
import uuid

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
