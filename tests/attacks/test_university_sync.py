"""The sync of one university against hostile CRM data in the emulator."""

import pytest
from sync.conftest import emulator, sync_portal  # noqa: F401
from sync.support import RequestCounter, populate

from b24app.extensions import db
from b24app.program.models import Student, University
from b24app.sync.fullsync import start_full_sync
from b24app.sync.models import CrmRecord, RunStatus
from b24app.sync.university_sync import start_university_sync


@pytest.fixture
def mirrored(app, sync_portal):  # noqa: F811
    ids = populate(sync_portal, students=12, internships=2, applications=12)
    run = start_full_sync(sync_portal.portal_id, run_now=True)
    assert run.status == RunStatus.SUCCEEDED
    return ids


def contacts_of(sync_portal, company_id: int) -> list[int]:  # noqa: F811
    """The emulator's contacts whose COMPANY_ID is `company_id`, even as text."""
    with sync_portal.server.state.lock:
        rows = sync_portal.server.state.crm.tables["contact"].rows.values()
        return sorted(
            int(r["ID"]) for r in rows if str(r.get("COMPANY_ID")) == str(company_id)
        )


def edit(sync_portal, entity: str, row_id: int, fields: dict) -> None:  # noqa: F811
    with sync_portal.server.state.lock:
        sync_portal.server.state.crm.update(entity, row_id, fields, 1)


def university_id(company_id: int) -> int:
    return db.session.execute(
        db.select(University.id).where(University.bitrix_id == company_id)
    ).scalar_one()


HOSTILE_CONTACTS = {
    "nul byte in name": {"NAME": "Ann\x00a"},
    "100 KB name": {"NAME": "A" * 100_000},
    "control characters": {"NAME": "\x1b[31mRed\x07", "LAST_NAME": "\u202eeeL"},
    "name as a list": {"NAME": ["x", "y"]},
    "name as a number": {"NAME": 12345},
    "company id as text": {"COMPANY_ID": "abc"},
    "email as a dict": {"EMAIL": {"VALUE": "x@y"}},
}


@pytest.mark.parametrize("case", HOSTILE_CONTACTS)
def test_hostile_contact_does_not_break_run(app, sync_portal, mirrored, case):  # noqa: F811
    north = mirrored["university"][0]
    contacts = contacts_of(sync_portal, north)
    edit(sync_portal, "contact", contacts[0], HOSTILE_CONTACTS[case])
    edit(sync_portal, "contact", contacts[1], {"NAME": "Renamed"})

    portal_id = sync_portal.portal_id
    run = start_university_sync(portal_id, university_id(north), run_now=True)

    db.session.refresh(run)
    renamed = db.session.execute(
        db.select(Student.first_name).where(Student.bitrix_id == contacts[1])
    ).scalar_one()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert renamed == "Renamed"


def test_deleted_university_company_is_tombstoned(app, sync_portal, mirrored):  # noqa: F811
    north = mirrored["university"][0]
    with sync_portal.server.state.lock:
        sync_portal.server.state.crm.delete("company", north)

    portal_id = sync_portal.portal_id
    run = start_university_sync(portal_id, university_id(north), run_now=True)

    db.session.refresh(run)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.cursor["tombstoned"] == {"company": 1}


def deal_of(sync_portal, contact_id: int) -> int:  # noqa: F811
    with sync_portal.server.state.lock:
        rows = sync_portal.server.state.crm.tables["deal"].rows.values()
        key = str(contact_id)
        return [int(r["ID"]) for r in rows if str(r.get("CONTACT_ID")) == key][0]


@pytest.mark.parametrize("target", ["other university", "missing", "none"])
def test_deal_pointing_elsewhere_is_not_tombstoned(app, sync_portal, mirrored, target):  # noqa: F811
    north, south, _ = mirrored["university"]
    deal = deal_of(sync_portal, contacts_of(sync_portal, north)[0])
    contact = {
        "other university": contacts_of(sync_portal, south)[0],
        "missing": 999_999,
        "none": 0,
    }[target]
    edit(sync_portal, "deal", deal, {"CONTACT_ID": contact})

    portal_id = sync_portal.portal_id
    run = start_university_sync(portal_id, university_id(north), run_now=True)

    db.session.refresh(run)
    record = db.session.execute(
        db.select(CrmRecord).where(
            CrmRecord.entity_type == "deal", CrmRecord.bitrix_id == deal
        )
    ).scalar_one()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert record.deleted_at is None


class EditAfterFirstRead(RequestCounter):
    """Applies `change` once, right after the run's first successful CRM read."""

    def __init__(self, change) -> None:
        super().__init__()
        self.change = change

    def __call__(self, method: str, outcome: str, seconds: float) -> None:
        if outcome != "ok" or method == "user.get":
            return
        super().__call__(method, outcome, seconds)
        if self.total == 1:
            self.change()


def test_contact_moving_mid_run_is_stored_as_moved(app, sync_portal, mirrored):  # noqa: F811
    north, _, east = mirrored["university"]
    moving = contacts_of(sync_portal, north)[-1]
    move = EditAfterFirstRead(
        lambda: edit(sync_portal, "contact", moving, {"COMPANY_ID": east})
    )

    portal_id = sync_portal.portal_id
    with move:
        run = start_university_sync(portal_id, university_id(north), run_now=True)

    db.session.refresh(run)
    student = db.session.execute(
        db.select(Student).where(Student.bitrix_id == moving)
    ).scalar_one()
    assert move.total > 1
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert student.university_id == university_id(east)
    assert run.cursor.get("tombstoned", {}) == {}
