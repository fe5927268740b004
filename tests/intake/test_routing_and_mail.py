"""Stored submissions are routed by a job and the student hears back by e-mail."""

import logging
from datetime import timedelta

import pytest
from portals.support import run_jobs
from sqlalchemy import select

from b24app.extensions import db
from b24app.mail.models import SentMail
from b24app.mail.student import notify_stage_change
from b24app.program.models import (
    Application,
    ApplicationAttempt,
    CrmOutbox,
    Student,
)
from b24app.public.models import Submission

from .conftest import submit, valid_fields


def only(model):
    return db.session.execute(select(model)).scalar_one()


def routed_application(app, client, site, **overrides) -> Application:
    response = submit(client, site, valid_fields(site, **overrides))
    assert response.status_code == 303
    run_jobs(app)
    return only(Application)


def test_job_routes_submission(app, client, site):
    application = routed_application(app, client, site)
    submission = only(Submission)
    attempt = only(ApplicationAttempt)

    assert submission.status == "routed"
    assert submission.application_id == application.id
    assert submission.reason_code == "routed"
    assert attempt.accepted is True
    assert application.internship_id == site.internship.id
    assert application.assigned_user_id == 1


def test_routing_queues_crm_writes(app, client, site):
    # The portal's REST address is not reachable, as in a Bitrix24 outage: the
    # intents stay queued and nothing local is lost.
    routed_application(app, client, site)
    kinds = sorted(row.kind for row in db.session.execute(select(CrmOutbox)).scalars())
    student = only(Student)

    assert kinds == [
        "add_timeline_comment",
        "create_application_deal",
        "upsert_contact",
    ]
    assert student.first_name == "Анна-Мария"
    assert student.consent_at is not None


def test_status_fragment_stops_polling(app, client, site):
    response = submit(client, site, valid_fields(site))
    status_url = response.headers["Location"]
    pending = client.get(status_url, headers={"HX-Request": "true"})

    run_jobs(app)
    done = client.get(status_url, headers={"HX-Request": "true"})

    assert pending.status_code == 200
    assert "every 2s" in pending.get_data(as_text=True)
    assert done.status_code == 286
    assert "передана рекрутеру" in done.get_data(as_text=True)


def test_forged_status_token_is_404(client, site):
    assert client.get(f"/p/{site.slug}/submissions/1").status_code == 404


def test_confirmation_mail_received(app, client, site, smtp_sink):
    routed_application(app, client, site)
    [message] = smtp_sink.to("student1@mail.example.test")

    assert message["Subject"] == "Заявка получена: Python backend intern"
    assert "Здравствуйте, Анна-Мария!" in message.get_content()
    assert "передана рекрутеру" in message.get_content()


def test_confirmation_in_english(app, client, site, smtp_sink):
    token_page = client.get(site.detail_url() + "?lang=en")
    assert token_page.status_code == 200
    response = submit(client, site, valid_fields(site), query_string={"lang": "en"})
    assert response.status_code == 303
    run_jobs(app)
    [message] = smtp_sink.messages

    assert message["Subject"] == "Application received: Python backend intern"


def test_duplicate_application_told_by_mail(app, client, site, smtp_sink):
    routed_application(app, client, site)
    # An hour later, past the window in which a repeat counts as the same click.
    only(Submission).created_at -= timedelta(hours=1)
    db.session.commit()

    submit(client, site, valid_fields(site))
    run_jobs(app)
    last = smtp_sink.messages[-1]

    assert len(smtp_sink.messages) == 2
    assert "уже подали заявку" in last.get_content()


def test_no_smtp_sends_nothing(app, client, site, caplog):
    caplog.set_level(logging.INFO, logger="b24app.mail.smtp")
    routed_application(app, client, site)
    record = only(SentMail)

    assert record.sent_at is None
    assert "SMTP_URL is not set" in caplog.text


def test_offer_mail(app, client, site, smtp_sink):
    application = routed_application(app, client, site)
    application.stage = "offer"
    db.session.commit()

    assert notify_stage_change(site.portal_id, application.id) is True
    run_jobs(app)
    offer = smtp_sink.messages[-1]

    assert offer["Subject"] == "Предложение по стажировке: Python backend intern"


def test_rejection_mail_with_reason(app, client, site, smtp_sink):
    application = routed_application(app, client, site)
    application.stage = "rejected"
    application.rejection_reason = "SKILLS"
    db.session.commit()

    notify_stage_change(site.portal_id, application.id)
    notify_stage_change(site.portal_id, application.id)
    run_jobs(app)
    rejections = [m for m in smtp_sink.messages if "Решение" in m["Subject"]]

    assert len(rejections) == 1
    assert "Причина: Навыки не подходят" in rejections[0].get_content()


def test_no_mail_for_screening(app, client, site):
    application = routed_application(app, client, site)
    application.stage = "screening"
    db.session.commit()

    assert notify_stage_change(site.portal_id, application.id) is False


def test_notify_other_portal_application(app, client, site):
    application = routed_application(app, client, site)

    assert notify_stage_change(site.portal_id + 1000, application.id) is False


@pytest.mark.parametrize(
    ("lang", "title", "reason"),
    [
        ("en", "Your application was not accepted", "not accepting applications"),
        ("ru", "Заявка не принята", "заявки не принимаются"),
    ],
)
def test_rejected_submission_page_gives_reason(app, client, site, lang, title, reason):
    response = submit(client, site, valid_fields(site), query_string={"lang": lang})
    # The internship closes while the submission waits for its routing job.
    site.internship.status = "closed"
    db.session.commit()
    run_jobs(app)

    page = client.get(response.headers["Location"]).get_data(as_text=True)

    assert title in page
    assert reason in page
    assert "has been received" not in page
    assert "Заявка получена" not in page
    assert "confirmation" not in page
    assert "подтверждение" not in page
