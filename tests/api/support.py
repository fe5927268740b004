"""Builders for API tests: a portal with two universities, an employer, keys.

Every person here is generated; the names and addresses are not real.
"""

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from b24app.extensions import db
from b24app.program.api_keys import create_api_key
from b24app.program.models import (
    Employer,
    Internship,
    InternshipUniversity,
    Partnership,
    Student,
    University,
)
from b24app.tenancy.models import Portal

_numbers = itertools.count(1)


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def make_portal() -> Portal:
    number = next(_numbers)
    portal = Portal(
        member_id=f"apimember{number:06d}",
        domain=f"api-portal{number}.example.test",
        client_endpoint=f"https://api-portal{number}.example.test/rest/",
        server_endpoint="https://oauth.example.test/rest/",
        lang="en",
    )
    db.session.add(portal)
    db.session.commit()
    return portal


def add(row):
    db.session.add(row)
    db.session.commit()
    return row


def internship(portal_id: int, employer: Employer, title: str, **fields) -> Internship:
    now = datetime.now(UTC)
    fields.setdefault("status", "open")
    fields.setdefault("applications_open_at", now - timedelta(days=5))
    fields.setdefault("applications_close_at", now + timedelta(days=30))
    fields.setdefault("required_skills", [])
    fields.setdefault("programmes", [])
    universities = fields.pop("universities", ())
    row = Internship(
        portal_id=portal_id, employer_id=employer.id, title=title, **fields
    )
    for university in universities:
        row.university_links.append(
            InternshipUniversity(portal_id=portal_id, university_id=university.id)
        )
    return add(row)


def student(portal_id: int, university: University, number: int, **fields) -> Student:
    fields.setdefault("email", f"student{number}@{university.domains[0]}")
    fields.setdefault("email_normalized", fields["email"].lower())
    return add(
        Student(
            portal_id=portal_id,
            university_id=university.id,
            first_name="Test",
            last_name=f"Student{number}",
            skills=["python"],
            **fields,
        )
    )


@dataclass
class World:
    """One portal: universities North and South, employer Acme, three keys."""

    portal: Portal
    north: University
    south: University
    acme: Employer
    backend: Internship
    design: Internship
    draft: Internship
    admin_key: str
    north_key: str
    south_key: str

    @property
    def portal_id(self) -> int:
        return self.portal.id


def build_world() -> World:
    portal = make_portal()
    north = add(
        University(
            portal_id=portal.id, name="North Tech", city="Kazan", domains=["north.test"]
        )
    )
    south = add(
        University(
            portal_id=portal.id,
            name="South State",
            city="Sochi",
            domains=["south.test"],
        )
    )
    acme = add(
        Employer(portal_id=portal.id, name="Acme Soft", industry="IT", city="Kazan")
    )
    for university in (north, south):
        add(
            Partnership(
                portal_id=portal.id,
                university_id=university.id,
                employer_id=acme.id,
                seats_total=10,
                status="active",
            )
        )
    backend = internship(
        portal.id,
        acme,
        "Backend intern",
        city="Kazan",
        required_skills=["python"],
        starts_on=date(2027, 6, 1),
        open_to_all=True,
        seats=3,
    )
    design = internship(
        portal.id,
        acme,
        "Design intern",
        city="Sochi",
        required_skills=["figma"],
        starts_on=date(2027, 9, 1),
        universities=[south],
    )
    draft = internship(portal.id, acme, "Draft intern", status="draft")
    return World(
        portal=portal,
        north=north,
        south=south,
        acme=acme,
        backend=backend,
        design=design,
        draft=draft,
        admin_key=create_api_key(portal.id, "admin").raw,
        north_key=create_api_key(portal.id, "north", north.id).raw,
        south_key=create_api_key(portal.id, "south", south.id).raw,
    )


@dataclass
class Portal2:
    """A second portal with one university and its key."""

    portal: Portal
    university: University
    admin_key: str
    university_key: str

    @classmethod
    def build(cls) -> "Portal2":
        portal = make_portal()
        university = add(
            University(portal_id=portal.id, name="West Academy", domains=["west.test"])
        )
        return cls(
            portal=portal,
            university=university,
            admin_key=create_api_key(portal.id, "admin").raw,
            university_key=create_api_key(portal.id, "west", university.id).raw,
        )
