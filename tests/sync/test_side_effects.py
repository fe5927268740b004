"""What a CRM change sets off in the app: summaries, mail and webhook jobs."""

from rq import Queue, SimpleWorker

from b24app.analytics.summary import rebuild_summaries
from b24app.analytics.summary_models import ApplicationSummary, ApplicationSummaryStay
from b24app.extensions import db
from b24app.jobs import get_jobs
from b24app.mail.models import SentMail
from b24app.program.models import Application, Internship

from .support import SyncPortal, run_jobs


def build_program(sync: SyncPortal, internship_stage: str = "open") -> dict[str, int]:
    """Create a university, an employer, a student, an internship and an application."""
    ids = {}
    ids["university"] = sync.add(
        "company", {"TITLE": "South Tech", "COMPANY_TYPE": sync.university_type}
    )
    ids["employer"] = sync.add("company", {"TITLE": "Beta Ltd", "INDUSTRY": "IT"})
    ids["student"] = sync.add(
        "contact",
        {
            "NAME": "Lin",
            "LAST_NAME": "Generated",
            "COMPANY_ID": ids["university"],
            "EMAIL": [{"VALUE": "lin@student.example.edu", "VALUE_TYPE": "WORK"}],
        },
    )
    ids["internship"] = sync.add(
        "deal",
        {
            "TITLE": "Data intern",
            "CATEGORY_ID": sync.internships,
            "STAGE_ID": sync.status(internship_stage),
            "COMPANY_ID": ids["employer"],
            sync.field("seats"): 2,
        },
    )
    ids["application"] = sync.add(
        "deal",
        {
            "TITLE": "Lin -> Data intern",
            "CATEGORY_ID": sync.applications,
            "STAGE_ID": sync.stage("new"),
            "CONTACT_ID": ids["student"],
            "COMPANY_ID": ids["employer"],
            sync.field("internship_deal"): ids["internship"],
        },
    )
    sync.wait_events()
    return ids


def run_queues(app, *names: str) -> None:
    """Run the jobs of some queues only, so the jobs they queue can be inspected."""
    redis = get_jobs(app).redis
    queues = [Queue(name, connection=redis) for name in names]
    SimpleWorker(queues, connection=redis).work(burst=True)
    db.session.expire_all()


def queued(app, queue: str) -> list[tuple[str, tuple]]:
    """Return (job function, its args) of the jobs waiting in `queue`."""
    jobs = Queue(queue, connection=get_jobs(app).redis).get_jobs()
    return [(job.args[0], tuple(job.args[1])) for job in jobs]


def summaries(portal_id: int) -> tuple[list[dict], list[tuple]]:
    db.session.expire_all()
    columns = ApplicationSummary.__table__.columns.keys()
    rows = db.session.execute(
        db.select(ApplicationSummary)
        .where(ApplicationSummary.portal_id == portal_id)
        .order_by(ApplicationSummary.application_id)
    ).scalars()
    stays = db.session.execute(
        db.select(
            ApplicationSummaryStay.application_id,
            ApplicationSummaryStay.stage,
            ApplicationSummaryStay.seconds,
        )
        .where(ApplicationSummaryStay.portal_id == portal_id)
        .order_by(ApplicationSummaryStay.application_id, ApplicationSummaryStay.stage)
    ).all()
    return [{name: getattr(row, name) for name in columns} for row in rows], [
        tuple(stay) for stay in stays
    ]


def test_summary_follows_crm_changes(app, sync_portal):
    portal_id = sync_portal.portal_id
    ids = build_program(sync_portal)
    run_jobs(app)

    after_insert = summaries(portal_id)
    rebuild_summaries(portal_id)
    assert after_insert == summaries(portal_id)
    assert len(after_insert[0]) == 1

    sync_portal.edit(
        "deal",
        ids["application"],
        {"STAGE_ID": sync_portal.stage("interview"), "ASSIGNED_BY_ID": 3},
    )
    sync_portal.wait_events()
    run_jobs(app)

    after_update = summaries(portal_id)
    rebuild_summaries(portal_id)
    assert after_update == summaries(portal_id)
    assert after_update[0][0]["stage"] == "interview"
    assert after_update[0][0]["assigned_user_id"] == 3


def test_opened_internship_queues_webhook(app, sync_portal):
    portal_id = sync_portal.portal_id
    ids = build_program(sync_portal, internship_stage="draft")
    run_queues(app, "events", "sync")
    assert queued(app, "default") == []

    sync_portal.edit(
        "deal", ids["internship"], {"STAGE_ID": sync_portal.status("open")}
    )
    sync_portal.wait_events()
    run_queues(app, "events", "sync")
    sync_portal.edit("deal", ids["internship"], {"TITLE": "Data intern (SQL)"})
    sync_portal.wait_events()
    run_queues(app, "events", "sync")

    internship = db.session.execute(db.select(Internship)).scalar_one()
    assert internship.status == "open"
    assert queued(app, "default") == [
        (
            "b24app.api.webhooks.notify.notify_internship_opened",
            (portal_id, internship.id),
        )
    ]


def test_new_open_internship_queues_webhook(app, sync_portal):
    build_program(sync_portal, internship_stage="open")
    run_queues(app, "events", "sync")

    internship = db.session.execute(db.select(Internship)).scalar_one()
    assert queued(app, "default") == [
        (
            "b24app.api.webhooks.notify.notify_internship_opened",
            (sync_portal.portal_id, internship.id),
        )
    ]


def test_crm_stage_change_notifies(app, sync_portal):
    portal_id = sync_portal.portal_id
    ids = build_program(sync_portal, internship_stage="draft")
    run_queues(app, "events", "sync")
    assert queued(app, "mail") == []

    sync_portal.edit(
        "deal", ids["application"], {"STAGE_ID": sync_portal.stage("offer")}
    )
    sync_portal.wait_events()
    run_queues(app, "events", "sync")

    application = db.session.execute(db.select(Application)).scalar_one()
    assert application.stage == "offer"
    assert queued(app, "mail") == [
        ("b24app.mail.student.notify_stage_change", (portal_id, application.id))
    ]
    assert queued(app, "default") == [
        (
            "b24app.api.webhooks.notify.notify_application_stage_changed",
            (portal_id, application.id),
        )
    ]

    run_jobs(app)
    topics = db.session.execute(db.select(SentMail.topic)).scalars().all()
    assert topics == [f"application:{application.id}:offer"]
