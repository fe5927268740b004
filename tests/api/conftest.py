"""Fixtures for API tests: two portals, their universities and API keys."""

import pytest
import redis
import sqlalchemy as sa

from b24app import create_app
from b24app.extensions import db

from .support import Portal2, World, build_world


@pytest.fixture
def app(app_config: dict, _schema: None, redis_url: str):
    """The shared `app`, emptying only the tables a test wrote to.

    DELETE of the few used tables takes milliseconds, where TRUNCATE of every
    table took one to two seconds per test on a busy machine.
    """
    app = create_app(dict(app_config))
    with app.app_context():
        yield app
        db.session.remove()
        empty_used_tables()
        db.engine.dispose()
    redis.Redis.from_url(redis_url).flushdb()


def empty_used_tables() -> None:
    # Table names come from our own metadata, never from input.
    tables = [table.name for table in db.metadata.sorted_tables]
    probes = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")"  # noqa: S608
        for name in tables
    )
    with db.engine.begin() as connection:
        used = set(connection.execute(sa.text(probes)).scalars())
        # Children first, so no foreign key is left pointing at a deleted row.
        for name in reversed(tables):
            if name in used:
                connection.execute(sa.text(f'DELETE FROM "{name}"'))  # noqa: S608


@pytest.fixture
def world(app) -> World:
    return build_world()


@pytest.fixture
def other(app, world) -> Portal2:
    return Portal2.build()
