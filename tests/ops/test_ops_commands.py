"""`b24app ops` commands against real PostgreSQL and Redis."""

from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry

from b24app.cli import main
from b24app.events.models import EventInbox, InboxStatus
from b24app.extensions import db
from b24app.jobs import enqueue, get_jobs
from b24app.tenancy.models import Portal, PortalState


def fail_once() -> None:
    raise RuntimeError("planned failure")


def add_event(portal: Portal, number: int, status: str = InboxStatus.PENDING) -> None:
    db.session.add(
        EventInbox(
            portal_id=portal.id,
            event="ONCRMDEALUPDATE",
            entity_type="deal",
            entity_id=str(number),
            dedupe_key=f"deal-{number}",
            status=status,
            error="HTTP 500 from crm.deal.get" if status == InboxStatus.FAILED else "",
        )
    )
    db.session.commit()


def test_portals_lists_state_and_waiting(runner, make_portal):
    portal = make_portal()
    add_event(portal, 1)
    add_event(portal, 2)

    result = runner.invoke(main, args=["ops", "portals"])

    assert result.exit_code == 0
    line = next(line for line in result.output.splitlines() if portal.domain in line)
    assert "active" in line
    assert " 2 " in line


def test_portal_shows_inbox_and_failures(runner, make_portal):
    portal = make_portal()
    add_event(portal, 1)
    add_event(portal, 2, InboxStatus.FAILED)

    result = runner.invoke(main, args=["ops", "portal", portal.member_id])

    assert result.exit_code == 0
    assert "'pending': 1" in result.output
    assert "failed event" in result.output
    assert "deal:2" in result.output


def test_unknown_portal_is_an_error(runner):
    result = runner.invoke(main, args=["ops", "portal", "nowhere.example.test"])

    assert result.exit_code == 1
    assert "not found" in result.output


def test_suspend_then_resume(runner, make_portal):
    portal = make_portal()

    suspended = runner.invoke(
        main, args=["ops", "suspend", str(portal.id), "--reason", "abuse"]
    )
    db.session.expire_all()
    assert suspended.exit_code == 0
    assert db.session.get(Portal, portal.id).state == PortalState.SUSPENDED

    resumed = runner.invoke(main, args=["ops", "resume", str(portal.id)])
    db.session.expire_all()
    assert resumed.exit_code == 0
    assert db.session.get(Portal, portal.id).state == PortalState.ACTIVE


def test_resume_rejects_active_portal(runner, make_portal):
    portal = make_portal()

    result = runner.invoke(main, args=["ops", "resume", str(portal.id)])

    assert result.exit_code == 1
    assert "not suspended" in result.output


def test_purge_deletes_portal_data_only(runner, make_portal):
    doomed = make_portal(1, access_token_encrypted="x", refresh_token_encrypted="y")
    kept = make_portal(2)
    add_event(doomed, 1)
    add_event(kept, 2)

    result = runner.invoke(main, args=["ops", "purge", str(doomed.id), "--yes"])

    assert result.exit_code == 0, result.output
    assert "event_inbox: 1 row(s) deleted" in result.output
    db.session.expire_all()
    purged = db.session.get(Portal, doomed.id)
    assert purged.state == PortalState.UNINSTALLED
    assert purged.access_token_encrypted is None
    remaining = db.session.query(EventInbox).all()
    assert [event.portal_id for event in remaining] == [kept.id]


def test_retry_failed_requeues_jobs(app, runner):
    redis = get_jobs(app).redis
    job_id = enqueue(fail_once, queue="sync")
    SimpleWorker([Queue("sync", connection=redis)], connection=redis).work(burst=True)
    assert job_id in FailedJobRegistry("sync", connection=redis).get_job_ids()

    result = runner.invoke(main, args=["ops", "retry-failed", "sync"])

    assert result.exit_code == 0
    assert "sync: 1 job(s) requeued" in result.output
    assert Queue("sync", connection=redis).job_ids == [job_id]


def test_retry_failed_rejects_unknown_queue(runner):
    result = runner.invoke(main, args=["ops", "retry-failed", "nosuchqueue"])

    assert result.exit_code == 2
    assert "unknown queue" in result.output
