"""Alembic environment for b24app, run through Flask-Migrate (`b24app db ...`)."""

import logging
from logging.config import fileConfig
from typing import Any

from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

config = context.config

# When the app has already set up logging (the demo and tests run migrations in
# process), alembic.ini's handlers would print every line twice. Loggers created
# before the run are kept either way; Alembic would disable them.
if not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url",
    database.engine.url.render_as_string(hide_password=False).replace("%", "%%"),
)


def render_item(kind: str, item: Any, autogen_context: Any) -> str | bool:
    """Write app column types as their plain SQLAlchemy type.

    Migrations must not import the app, so `AwareDateTime` is rendered as the
    `DateTime(timezone=True)` it stores.
    """
    if kind == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl!r}"
    return False


def skip_empty_revision(
    migration_context: Any, revision: Any, directives: list
) -> None:
    if getattr(config.cmd_opts, "autogenerate", False):
        if directives[0].upgrade_ops.is_empty():
            directives[:] = []
            log.info("No changes in schema detected.")


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=database.metadata,
        literal_binds=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", skip_empty_revision)
    options.setdefault("render_item", render_item)

    with database.engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=database.metadata, **options
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
