"""Fixtures for intake tests: a portal with its public page, an SMTP sink."""

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa
from portals.support import first_emulator, portal_server  # noqa: F401
from program.builders import Program, make_portal

from b24app import create_app
from b24app.extensions import db
from b24app.public.pages import ensure_public_page
from b24app.tenancy.models import utcnow

from .smtp_sink import SmtpSink


@pytest.fixture
def app(app_config: dict, _schema: None, redis_url: str):
    """The app with its own tables emptied after each test, as program tests do."""
    app = create_app(
        {**app_config, "PUBLIC_FORM_RATE_LIMIT": "100 per minute", "SMTP_URL": None}
    )
    with app.app_context():
        yield app
        db.session.remove()
        empty_used_tables()
        db.engine.dispose()
    redis.Redis.from_url(redis_url).flushdb()


def empty_used_tables() -> None:
    """Delete rows from the tables a test wrote to, children first."""
    tables = db.metadata.sorted_tables
    # Table names come from our own metadata, never from input.
    probe = " UNION ALL ".join(
        f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM \"{table.name}\")"  # noqa: S608
        for table in tables
    )
    with db.engine.begin() as connection:
        used = set(connection.execute(sa.text(probe)).scalars())
        for table in reversed(tables):
            if table.name in used:
                connection.execute(table.delete())


@pytest.fixture
def smtp_sink(app) -> Iterator[SmtpSink]:
    sink = SmtpSink()
    app.config["SMTP_URL"] = sink.url
    yield sink
    sink.stop()


class PublicSite:
    """One portal's program with an open internship and its public page."""

    def __init__(self) -> None:
        self.program = Program(make_portal())
        self.portal_id = self.program.portal_id
        self.slug = ensure_public_page(self.portal_id).slug
        self.university = self.program.university("Северный технический университет")
        self.other_university = self.program.university("Southfield College")
        self.employer = self.program.employer("Acme Soft")
        now = utcnow()
        self.internship = self.program.internship(
            self.employer,
            title="Python backend intern",
            city="Казань",
            required_skills=["python", "sql"],
            open_to_all=True,
            seats=3,
            responsible_user_id=1,
            applications_open_at=now - timedelta(days=5),
            applications_close_at=now + timedelta(days=5),
        )
        self.other_internship = self.program.internship(
            self.employer,
            title="Data analyst intern",
            city="Moscow",
            required_skills=["excel"],
            open_to_all=True,
            applications_open_at=now - timedelta(days=5),
            applications_close_at=now + timedelta(days=5),
        )
        self.program.fallback_user(1)

    def index_url(self, **query) -> str:
        return f"/p/{self.slug}/"

    def detail_url(self, internship=None) -> str:
        return f"/p/{self.slug}/internships/{(internship or self.internship).id}"

    def apply_url(self, internship=None) -> str:
        return self.detail_url(internship) + "/apply"


@pytest.fixture
def site(app) -> PublicSite:
    return PublicSite()


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def valid_fields(site: PublicSite, number: int = 1, **overrides) -> dict:
    """Form fields of a generated student, not a real person."""
    fields = {
        "first_name": "Анна-Мария",
        "last_name": f"Тестова{'а' * number}",
        "email": f"student{number}@mail.example.test",
        "phone": "+7 (916) 000-00-" + f"{number:02d}",
        "university": str(site.university.id),
        "student_number": f"ST-{number:05d}",
        "course": "3",
        "programme": "Прикладная информатика",
        "skills": "Python, SQL",
        "cover_note": "",
        "consent": "y",
        "website": "",
    }
    fields.update(overrides)
    return fields


def submit(client, site: PublicSite, fields: dict, internship=None, **kwargs):
    token = csrf_token(client, site.detail_url(internship))
    data = {"csrf_token": token, **fields}
    return client.post(site.apply_url(internship), data=data, **kwargs)
