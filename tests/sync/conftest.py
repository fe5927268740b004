"""Fixtures for sync tests: an emulated portal installed in the app through its
install page, with the program's pipelines and user fields."""

from collections.abc import Iterator

import pytest
import requests

from b24app.emulator.testing import EmulatorServer
from b24app.extensions import db
from b24app.tenancy.models import Portal

from .support import SyncPortal, program_mapping, run_jobs


@pytest.fixture(scope="module")
def emulator(app_config) -> Iterator[EmulatorServer]:
    """One emulator per module, reset before each test (starting one costs ~1 s)."""
    server = EmulatorServer(
        {
            "CLIENT_ID": app_config["B24_CLIENT_ID"],
            "CLIENT_SECRET": app_config["B24_CLIENT_SECRET"],
            "SCOPES": "crm,placement,user_brief",
        }
    ).start()
    yield server
    server.stop()


@pytest.fixture
def sync_portal(app, live_server, emulator) -> SyncPortal:
    emulator.state.events.wait_idle(5)
    emulator.state.reset()
    app.config["B24_PORTAL_DOMAINS"] = emulator.domain
    app.config["B24_OAUTH_SERVERS"] = emulator.base_url + "/"
    app.extensions.pop("b24app.clients", None)

    query, body = emulator.frame_fields()
    response = requests.post(
        live_server.url + "/b24/install", params=query, data=body, timeout=30
    )
    assert response.status_code == 200, response.text
    emulator.install_app()
    assert emulator.state.events.wait_idle(10)
    run_jobs(app)

    portal = db.session.execute(
        db.select(Portal).where(Portal.member_id == emulator.state.member_id)
    ).scalar_one()
    return SyncPortal(
        server=emulator, portal_id=portal.id, mapping=program_mapping(emulator, portal)
    )


@pytest.fixture
def poisoned_student_rows():
    """Make PostgreSQL reject student rows named Poisoned, a failure no code expects."""
    statements = [
        """create function refuse_poisoned_student() returns trigger as $$
        begin
            if new.first_name = 'Poisoned' then
                raise exception 'refused by the test trigger';
            end if;
            return new;
        end $$ language plpgsql""",
        """create trigger refuse_poisoned_student before insert or update
        on student for each row execute function refuse_poisoned_student()""",
    ]
    for statement in statements:
        db.session.execute(db.text(statement))
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(db.text("drop trigger refuse_poisoned_student on student"))
    db.session.execute(db.text("drop function refuse_poisoned_student()"))
    db.session.commit()
