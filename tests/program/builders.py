"""Builders for program tests: portals, universities, employers, internships."""

import itertools
from datetime import UTC, datetime, timedelta

from b24app.extensions import db
from b24app.program.identity import StudentData
from b24app.program.models import (
    CrmMapping,
    Employer,
    Internship,
    InternshipUniversity,
    Partnership,
    PartnershipSeat,
    Recruiter,
    Term,
    University,
)
from b24app.program.routing import ApplicationRequest
from b24app.tenancy.models import Portal

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
_numbers = itertools.count(1)


class Program:
    """One portal's program data, built row by row with readable defaults."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.portal_id = portal.id

    def _add(self, row):
        db.session.add(row)
        db.session.commit()
        return row

    def university(self, name: str = "Northfield Tech", **fields) -> University:
        fields.setdefault("domains", [])
        return self._add(University(portal_id=self.portal_id, name=name, **fields))

    def employer(self, name: str = "Acme Soft", **fields) -> Employer:
        return self._add(Employer(portal_id=self.portal_id, name=name, **fields))

    def term(self, name: str = "Summer 2027", **fields) -> Term:
        return self._add(Term(portal_id=self.portal_id, name=name, **fields))

    def internship(
        self,
        employer: Employer,
        title: str = "Backend intern",
        universities=(),
        **fields,
    ) -> Internship:
        fields.setdefault("status", "open")
        fields.setdefault("applications_open_at", NOW - timedelta(days=10))
        fields.setdefault("applications_close_at", NOW + timedelta(days=10))
        fields.setdefault("required_skills", [])
        fields.setdefault("programmes", [])
        internship = Internship(
            portal_id=self.portal_id, employer_id=employer.id, title=title, **fields
        )
        for university in universities:
            internship.university_links.append(
                InternshipUniversity(
                    portal_id=self.portal_id, university_id=university.id
                )
            )
        return self._add(internship)

    def partnership(
        self, university: University, employer: Employer, seats: int = 10, **fields
    ) -> Partnership:
        return self._add(
            Partnership(
                portal_id=self.portal_id,
                university_id=university.id,
                employer_id=employer.id,
                seats_total=seats,
                **fields,
            )
        )

    def allocate(
        self, partnership: Partnership, internship: Internship, seats: int
    ) -> PartnershipSeat:
        return self._add(
            PartnershipSeat(
                portal_id=self.portal_id,
                partnership_id=partnership.id,
                internship_id=internship.id,
                seats=seats,
            )
        )

    def recruiter(self, user_id: int, active: bool = True) -> Recruiter:
        return self._add(
            Recruiter(
                portal_id=self.portal_id,
                bitrix_user_id=user_id,
                name=f"User {user_id}",
                active=active,
            )
        )

    def fallback_user(self, user_id: int) -> CrmMapping:
        return self._add(CrmMapping(portal_id=self.portal_id, fallback_user_id=user_id))


def make_portal(lang: str = "ru") -> Portal:
    number = next(_numbers)
    portal = Portal(
        member_id=f"member{number:06d}",
        domain=f"portal{number}.example.test",
        client_endpoint=f"https://portal{number}.example.test/rest/",
        server_endpoint="https://oauth.example.test/rest/",
        lang=lang,
    )
    db.session.add(portal)
    db.session.commit()
    return portal


def student(number: int = 1, **fields) -> StudentData:
    """Generated student details, not a real person."""
    fields.setdefault("email", f"student{number}@mail.example.test")
    fields.setdefault("first_name", "Тест")
    fields.setdefault("last_name", f"Студентов{number}")
    return StudentData(**fields)


def apply(internship=None, number: int = 1, **fields) -> ApplicationRequest:
    """An application request at NOW for generated student `number`."""
    student_fields = fields.pop("student_fields", {})
    fields.setdefault("submitted_at", NOW)
    return ApplicationRequest(
        student=student(number, **student_fields),
        internship_id=internship.id if internship is not None else None,
        **fields,
    )
