"""Helpers for web and browser tests: an emulated portal installed in the app,
program rows mirrored from its CRM, and frame POSTs built by the emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from b24app.bitrix.tokens import TokenPair
from b24app.emulator.testing import EmulatorServer
from b24app.emulator.ui import UI_KEY
from b24app.extensions import db
from b24app.program.models import (
    Application,
    Employer,
    Internship,
    Partnership,
    RoutingDecision,
    RoutingRule,
    Student,
    University,
)
from b24app.tenancy.crypto import digest_secret
from b24app.tenancy.models import Portal, utcnow
from b24app.tenancy.store import token_cipher, write_tokens
from b24app.web.session import FrameSession, issue_session_token

XSS = "<img src=x onerror=alert(1)>"
OTHER_MEMBER_ID = "99999999999999999999999999999999"


@pytest.fixture(scope="session")
def shared_emulator(app_config: dict) -> Iterator[EmulatorServer]:
    """One emulator for the session; stopping one takes about a second."""
    server = start_emulator(app_config)
    yield server
    server.stop()


def start_emulator(config: dict) -> EmulatorServer:
    """Start an emulated portal registered with the app's client id and secret."""
    return EmulatorServer(
        {
            "CLIENT_ID": config["B24_CLIENT_ID"],
            "CLIENT_SECRET": config["B24_CLIENT_SECRET"],
        }
    ).start()


def reset_emulator(server: EmulatorServer) -> None:
    """Drop the emulator's data and recorded calls; keep the app installed."""
    server.state.reset()
    with server.state.lock:
        server.state.app.installed = True
    server.app.extensions[UI_KEY].clear()


def install_portal(server: EmulatorServer, member_id: str | None = None) -> Portal:
    """Store the installation the install flow would have stored, tokens included."""
    portal = Portal(
        member_id=member_id or server.state.member_id,
        domain=server.domain,
        client_endpoint=server.client_endpoint,
        server_endpoint=server.server_endpoint,
        application_token_digest=digest_secret(server.state.application_token),
        installed_at=utcnow(),
    )
    fields = server.state.token_fields(1)
    pair = TokenPair(
        fields["access_token"],
        fields["refresh_token"],
        datetime.fromtimestamp(fields["expires"], UTC),
    )
    write_tokens(portal, pair, token_cipher())
    db.session.add(portal)
    db.session.commit()
    return portal


@dataclass
class Mirror:
    """Program rows of one portal, linked to CRM records in the emulator."""

    portal: Portal
    deal_id: int
    application_deal_id: int
    contact_id: int
    university_company_id: int
    employer_company_id: int
    student: Student
    internship: Internship
    rule: RoutingRule
    server: EmulatorServer | None = None


def seed_mirror(server: EmulatorServer, portal: Portal, title: str = XSS) -> Mirror:
    """Create CRM records in the emulator and their program rows in the app."""
    with server.state.lock:
        crm = server.state.crm
        deal_id = crm.add("deal", {"TITLE": title}, 1)
        application_deal_id = crm.add("deal", {"TITLE": "Заявка: Анна Пример"}, 1)
        contact_id = crm.add("contact", {"NAME": "Анна", "LAST_NAME": "Пример"}, 1)
        university_company_id = crm.add("company", {"TITLE": "Тестовый университет"}, 1)
        employer_company_id = crm.add("company", {"TITLE": "ООО Пример Софт"}, 1)

    add = _adder(portal.id)
    university = add(
        University(
            name="Тестовый университет", domains=[], bitrix_id=university_company_id
        )
    )
    employer = add(Employer(name="ООО Пример Софт", bitrix_id=employer_company_id))
    internship = add(
        Internship(
            employer_id=employer.id,
            title=title,
            bitrix_id=deal_id,
            city="Москва",
            seats=3,
            status="open",
            required_skills=["python", "sql"],
            programmes=[],
        )
    )
    student = add(
        Student(
            first_name="Анна",
            last_name="Пример",
            bitrix_id=contact_id,
            university_id=university.id,
            email="anna@example.com",
            course=3,
            skills=["python"],
        )
    )
    decision = add(
        RoutingDecision(
            accepted=True,
            assignee_user_id=2,
            reason_code="rule_matched",
            score=0.82,
            explanation_text="Правило «Вузы-партнёры»: навыки 2/2",
        )
    )
    application = add(
        Application(
            student_id=student.id,
            internship_id=internship.id,
            employer_id=employer.id,
            university_id=university.id,
            bitrix_id=application_deal_id,
            stage="screening",
            score=0.82,
            routing_decision_id=decision.id,
        )
    )
    decision.application_id = application.id
    add(
        Partnership(
            university_id=university.id,
            employer_id=employer.id,
            agreement_number="П-17",
            seats_total=5,
            seats_used=1,
            status="active",
        )
    )
    rule = add(
        RoutingRule(
            name="Вузы-партнёры",
            position=1,
            conditions={},
            user_pool=[],
            fixed_user_id=2,
        )
    )
    return Mirror(
        portal,
        deal_id,
        application_deal_id,
        contact_id,
        university_company_id,
        employer_company_id,
        student,
        internship,
        rule,
        server,
    )


def user_session(
    portal_id: int,
    server: EmulatorServer | None,
    user_id: int,
    admin: bool,
    lang: str = "ru",
) -> str:
    """Return a session token carrying the user's emulator token, as a frame would."""
    encrypted = ""
    if server is not None:
        _, form = server.frame_fields(user_id=user_id)
        encrypted = token_cipher().encrypt(form["AUTH_ID"])
    session = FrameSession(portal_id, user_id, admin, lang, encrypted)
    return issue_session_token(session)


def _adder(portal_id: int):
    def add(row: Any) -> Any:
        row.portal_id = portal_id
        db.session.add(row)
        db.session.commit()
        return row

    return add


def frame_post(
    client,
    server: EmulatorServer,
    path: str,
    placement: str,
    options: dict | None = None,
    user_id: int = 1,
    lang: str = "ru",
    **overrides: str,
):
    """POST the emulator's frame fields for `placement` to `path`.

    `overrides` replace body fields; a value of None drops the field.
    """
    query, body = server.frame_fields(placement, options, user_id, lang)
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return client.post(f"{path}?{urlencode(query)}", data=body)


def add_open_internship(mirror: Mirror, title: str) -> Internship:
    """Add an internship that accepts applications from every university now."""
    now = utcnow()
    internship = Internship(
        portal_id=mirror.portal.id,
        employer_id=mirror.internship.employer_id,
        title=title,
        status="open",
        seats=2,
        open_to_all=True,
        required_skills=["python"],
        programmes=[],
        applications_open_at=now - timedelta(days=1),
        applications_close_at=now + timedelta(days=10),
    )
    db.session.add(internship)
    db.session.commit()
    return internship
