"""Fixtures for the operations tests: portal rows and a stamped schema."""

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from b24app import ROOT
from b24app.extensions import db
from b24app.ops.readiness import migration_head
from b24app.tenancy.models import Portal, PortalState, utcnow


@pytest.fixture
def make_portal(app) -> Callable[..., Portal]:
    def make(number: int = 1, **fields) -> Portal:
        portal = Portal(
            member_id=f"member{number:04d}",
            domain=f"portal{number}.example.test",
            client_endpoint=f"https://portal{number}.example.test/rest/",
            server_endpoint="https://oauth.example.test/rest/",
            state=PortalState.ACTIVE,
            installed_at=utcnow(),
            **fields,
        )
        db.session.add(portal)
        db.session.commit()
        return portal

    return make


@pytest.fixture
def stamped_schema(app):
    """Record the migration head in the test database, which create_all built."""
    head = migration_head(str(ROOT / "migrations"))
    if head is None:
        yield None
        return

    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE IF NOT EXISTS alembic_version "
                "(version_num VARCHAR(32) PRIMARY KEY)"
            )
        )
        connection.execute(sa.text("DELETE FROM alembic_version"))
        connection.execute(
            sa.text("INSERT INTO alembic_version VALUES (:head)"), {"head": head}
        )
    yield head
    with db.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE alembic_version"))
