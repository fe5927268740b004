"""Seed data for the personal-data tests: generated people, never real persons.

Each person applies through the routing engine. Then every other table that can
mention them gets a row: a form submission, a sent mail, a CRM ledger row, an
event, a webhook delivery, an API response and a failed attempt.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from b24app.api.models import IdempotencyRecord
from b24app.api.webhooks.models import WebhookDelivery, WebhookEndpoint
from b24app.events.models import EventInbox
from b24app.extensions import db
from b24app.mail.models import SentMail
from b24app.program.identity import StudentData
from b24app.program.models import (
    Application,
    ApplicationAttempt,
    ApplicationStageChange,
    Employer,
    Internship,
    Partnership,
    Student,
    University,
)
from b24app.program.routing import ApplicationRequest, route_application
from b24app.public.models import Submission
from b24app.sync.models import CrmRecord
from b24app.tenancy.models import utcnow

NAMES = [
    ("Алиса", "Тестова"),
    ("Борис", "Пробный"),
    ("Вера", "Образцова"),
    ("Глеб", "Выдуманный"),
    ("Дарья", "Примерова"),
    ("Егор", "Шаблонов"),
]
CONSENT = "Я согласен на обработку персональных данных для участия в программе."


@dataclass
class Person:
    portal_id: int
    number: int
    first_name: str
    last_name: str
    email: str
    phone: str
    student_number: str
    student_id: int = 0
    application_id: int = 0

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def phone_digits(self) -> str:
        return "".join(ch for ch in self.phone if ch.isdigit())

    def identifying_strings(self) -> list[str]:
        return [
            self.first_name,
            self.last_name,
            self.full_name,
            self.email,
            self.phone,
            self.phone_digits,
            self.student_number,
        ]


@dataclass
class PortalProgram:
    portal_id: int
    university: University
    internship: Internship


def setup_program(portal_id: int) -> PortalProgram:
    """One university, one employer, one open internship with a partnership."""
    university = University(portal_id=portal_id, name="Northfield Tech", domains=[])
    employer = Employer(portal_id=portal_id, name="Acme Soft")
    db.session.add_all([university, employer])
    db.session.flush()
    internship = Internship(
        portal_id=portal_id,
        employer_id=employer.id,
        title="Backend intern",
        status="open",
        applications_open_at=utcnow() - timedelta(days=10),
        applications_close_at=utcnow() + timedelta(days=10),
        required_skills=[],
        programmes=[],
        open_to_all=True,
    )
    db.session.add(internship)
    db.session.add(
        Partnership(
            portal_id=portal_id,
            university_id=university.id,
            employer_id=employer.id,
            seats_total=50,
        )
    )
    db.session.commit()
    return PortalProgram(portal_id, university, internship)


def seed_person(program: PortalProgram, number: int) -> Person:
    """Route one generated person's application and add rows that mention them."""
    first, last = NAMES[number % len(NAMES)]
    person = Person(
        portal_id=program.portal_id,
        number=number,
        first_name=first,
        last_name=last,
        email=f"person{number}@mail.example.test",
        phone=f"+7 900 555-{number:02d}-{number:02d}",
        student_number=f"SN-2027-{number:04d}",
    )
    _route(program, person)
    _add_mentions(program, person)
    db.session.commit()
    return person


def _route(program: PortalProgram, person: Person) -> None:
    request = ApplicationRequest(
        student=StudentData(
            email=person.email,
            phone=person.phone,
            university_id=program.university.id,
            student_number=person.student_number,
            first_name=person.first_name,
            last_name=person.last_name,
            programme="Прикладная информатика",
            skills=["python"],
            consent_text=CONSENT,
            consent_at=utcnow(),
        ),
        internship_id=program.internship.id,
        submitted_at=utcnow(),
    )
    outcome = route_application(program.portal_id, request)
    assert outcome.accepted, outcome.reason_code
    person.student_id = outcome.student_id
    person.application_id = outcome.application_id

    application = db.session.get(Application, outcome.application_id)
    application.bitrix_id = 9000 + person.number
    application.rejection_reason = f"Звонок: {person.full_name} просил перезвонить"
    student = db.session.get(Student, person.student_id)
    student.bitrix_id = 500 + person.number


def _add_mentions(program: PortalProgram, person: Person) -> None:
    application = db.session.get(Application, person.application_id)
    attempt_id = db.session.execute(
        sa.select(ApplicationAttempt.id).where(
            ApplicationAttempt.application_id == application.id
        )
    ).scalar_one()
    db.session.add_all(
        [
            _submission(program, person, attempt_id),
            SentMail(
                portal_id=person.portal_id,
                topic=f"application:{application.id}:new",
                recipient=person.email,
                template="received",
                sent_at=utcnow(),
            ),
            _crm_record(person),
            _event(person),
            _idempotency_record(person),
            _failed_attempt(person),
        ]
    )
    endpoint = WebhookEndpoint(
        portal_id=person.portal_id,
        university_id=program.university.id,
        url="https://hooks.example.test/b24app",
        secret_encrypted="not-a-real-secret",
    )
    db.session.add(endpoint)
    db.session.flush()
    db.session.add(_webhook_delivery(person, endpoint.id))


def _submission(program: PortalProgram, person: Person, attempt_id: int) -> Submission:
    return Submission(
        portal_id=person.portal_id,
        internship_id=program.internship.id,
        email=person.email,
        payload={
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": person.phone,
            "student_number": person.student_number,
            "skills": ["python"],
            "about": f"Меня зовут {person.first_name}, телефон {person.phone}",
        },
        consent_text=CONSENT,
        consent_at=utcnow(),
        status="routed",
        attempt_id=attempt_id,
        application_id=person.application_id,
    )


def _crm_record(person: Person) -> CrmRecord:
    return CrmRecord(
        portal_id=person.portal_id,
        entity_type="contact",
        bitrix_id=500 + person.number,
        kind="student",
        data={
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
        },
    )


def _event(person: Person) -> EventInbox:
    """An event row not linked by id, found only by the e-mail in its payload."""
    return EventInbox(
        portal_id=person.portal_id,
        event="ONCRMCONTACTUPDATE",
        entity_type="contact",
        entity_id=str(700 + person.number),
        dedupe_key=f"contact-{person.number}-{uuid.uuid4().hex[:8]}",
        payload={
            "data": {"FIELDS": {"ID": str(700 + person.number)}},
            "snapshot": {
                "NAME": person.first_name,
                "LAST_NAME": person.last_name,
                "EMAIL": [{"VALUE": person.email, "VALUE_TYPE": "WORK"}],
            },
        },
    )


def _idempotency_record(person: Person) -> IdempotencyRecord:
    # Flask writes JSON responses with ensure_ascii, as json.dumps does here.
    body = json.dumps(
        {
            "id": person.student_id,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": person.phone,
        }
    )
    return IdempotencyRecord(
        portal_id=person.portal_id,
        principal="university:1",
        idempotency_key=f"key-{person.number}",
        request_digest="0" * 64,
        status_code=201,
        response_body=body,
        response_headers={"Content-Type": "application/json"},
        expires_at=utcnow() + timedelta(days=1),
    )


def _failed_attempt(person: Person) -> ApplicationAttempt:
    """A rejected request with no student link, found by the e-mail only."""
    return ApplicationAttempt(
        portal_id=person.portal_id,
        reason_code="invalid_request",
        message="invalid",
        request={
            "student": {
                "email": person.email,
                "first_name": person.first_name,
                "last_name": person.last_name,
            }
        },
    )


def _webhook_delivery(person: Person, endpoint_id: int) -> WebhookDelivery:
    return WebhookDelivery(
        portal_id=person.portal_id,
        endpoint_id=endpoint_id,
        event_id=str(uuid.uuid4()),
        event="application.stage_changed",
        payload={
            "application": {
                "id": person.application_id,
                "student_id": person.student_id,
                "stage": "new",
                "rejection_reason": f"Звонок: {person.full_name}",
            }
        },
    )


def backdate(person: Person, when: datetime) -> None:
    """Move every timestamp of a person's activity to `when`."""
    updates = [
        # One statement per table, because an UPDATE that leaves out
        # `updated_at` sets it to now.
        (
            Student,
            Student.id == person.student_id,
            ("created_at", "updated_at", "profile_observed_at"),
        ),
        (
            Application,
            Application.id == person.application_id,
            ("created_at", "updated_at"),
        ),
        (
            ApplicationAttempt,
            ApplicationAttempt.student_id == person.student_id,
            ("created_at",),
        ),
        (
            ApplicationStageChange,
            ApplicationStageChange.application_id == person.application_id,
            ("changed_at",),
        ),
        (Submission, Submission.email == person.email, ("created_at",)),
    ]
    for model, condition, columns in updates:
        values = dict.fromkeys(columns, when)
        db.session.execute(sa.update(model).where(condition).values(**values))
    db.session.commit()


def mentions(strings: list[str]) -> list[str]:
    """Return "table.column" for every text or JSON column containing a string.

    Every table is searched, in the raw and in the JSON-escaped (\\uXXXX) form.
    """
    terms = set()
    for value in strings:
        terms.add(value.lower())
        terms.add(json.dumps(value)[1:-1].lower())

    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.JSON)]
        if not columns:
            continue
        # One query per table: a bool_or per column returns which columns match.
        checks = []
        for column in columns:
            text = sa.func.lower(sa.cast(column, sa.Text))
            condition = sa.or_(*(text.contains(t, autoescape=True) for t in terms))
            checks.append(sa.func.coalesce(sa.func.bool_or(condition), False))
        hits = db.session.execute(sa.select(*checks).select_from(table)).one()
        found += [
            f"{table.name}.{c.name}"
            for c, hit in zip(columns, hits, strict=True)
            if hit
        ]
    return found


def row_counts(portal_id: int) -> dict[str, int]:
    """Rows per table that analytics figures count, for one portal."""
    models = [Application, ApplicationStageChange, ApplicationAttempt, Submission]
    counts = {}
    for model in models:
        statement = sa.select(sa.func.count()).where(model.portal_id == portal_id)
        counts[model.__tablename__] = db.session.execute(statement).scalar()
    return counts
