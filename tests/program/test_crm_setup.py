"""The CRM setup install step against the emulator: creates once, fills the mapping."""

import re

import pytest
from portals.support import allow_emulators, first_emulator, fresh, install  # noqa: F401

from b24app.extensions import db
from b24app.program.crm_setup import ensure_crm_setup
from b24app.program.crm_spec import APPLICATIONS, INTERNSHIPS, USER_FIELDS
from b24app.program.models import CrmMapping
from b24app.tenancy.clients import client_for
from b24app.tenancy.scoping import get_scoped


def crm_snapshot(server) -> dict:
    crm = server.state.crm
    with server.state.lock:
        return {
            "categories": sorted(
                (row["id"], row["name"]) for row in crm.categories.values()
            ),
            "statuses": sorted(
                (row["ENTITY_ID"], row["STATUS_ID"], row["NAME"])
                for row in crm.statuses
            ),
            "user_fields": {
                entity: sorted(crm.tables[entity].userfields)
                for entity in ("contact", "deal")
            },
        }


@pytest.fixture
def emulator(app, first_emulator):  # noqa: F811 (the fixture imported above)
    allow_emulators(app, first_emulator)
    return fresh(first_emulator)


@pytest.fixture
def installed(app, live_server, emulator):
    portal = install(app, live_server, emulator)
    assert portal is not None
    return portal


def test_install_fills_mapping(installed, emulator):
    mapping = get_scoped(CrmMapping, installed.id)

    assert mapping is not None
    assert mapping.university_company_type_id == "UNIVERSITY"
    assert mapping.internships_category_id is not None
    assert mapping.applications_category_id is not None
    assert set(mapping.internship_stage_ids) == {s.name for s in INTERNSHIPS.stages}
    assert set(mapping.application_stage_ids) == {s.name for s in APPLICATIONS.stages}
    assert set(mapping.user_fields) == {spec.name for spec in USER_FIELDS}


def test_install_creates_crm_objects(installed, emulator):
    mapping = get_scoped(CrmMapping, installed.id)
    snapshot = crm_snapshot(emulator)
    names = {name for _, name in snapshot["categories"]}
    applications_stages = {
        status_id
        for entity, status_id, _ in snapshot["statuses"]
        if entity == f"DEAL_STAGE_{mapping.applications_category_id}"
    }

    assert "Стажировки" in names
    assert "Заявки на стажировку" in names
    assert ("COMPANY_TYPE", "UNIVERSITY", "Университет") in snapshot["statuses"]
    assert applications_stages == set(mapping.application_stage_ids.values())
    assert "UF_CRM_B24_STUDNO" in snapshot["user_fields"]["contact"]
    assert "UF_CRM_B24_REJECT" in snapshot["user_fields"]["deal"]


def test_stage_semantics(installed, emulator):
    mapping = get_scoped(CrmMapping, installed.id)
    crm = emulator.state.crm
    semantics = {
        row["STATUS_ID"]: row.get("SEMANTICS")
        for row in crm.statuses
        if row["ENTITY_ID"] == f"DEAL_STAGE_{mapping.applications_category_id}"
    }
    stages = mapping.application_stage_ids

    assert semantics[stages["hired"]] == "S"
    assert semantics[stages["rejected"]] == "F"
    assert semantics[stages["withdrawn"]] == "F"
    assert semantics[stages["screening"]] == "P"


def test_rejection_reasons_list(installed, emulator):
    definition = emulator.state.crm.tables["deal"].userfields["UF_CRM_B24_REJECT"]
    codes = [item["XML_ID"] for item in definition["LIST"]]

    assert definition["USER_TYPE_ID"] == "enumeration"
    assert "SKILLS" in codes
    assert "OTHER" in codes


def test_second_run_changes_nothing(installed, emulator):
    before = crm_snapshot(emulator)
    mapping_before = get_scoped(CrmMapping, installed.id)
    ids_before = (
        mapping_before.internships_category_id,
        mapping_before.applications_category_id,
        dict(mapping_before.application_stage_ids),
    )

    ensure_crm_setup(installed, client_for(installed))
    db.session.expire_all()
    mapping_after = get_scoped(CrmMapping, installed.id)

    assert crm_snapshot(emulator) == before
    assert (
        mapping_after.internships_category_id,
        mapping_after.applications_category_id,
        dict(mapping_after.application_stage_ids),
    ) == ids_before


def test_rerun_restores_deleted_field(installed, emulator):
    crm = emulator.state.crm
    with emulator.state.lock:
        del crm.tables["deal"].userfields["UF_CRM_B24_SEATS"]

    ensure_crm_setup(installed, client_for(installed))

    assert "UF_CRM_B24_SEATS" in crm.tables["deal"].userfields


def test_user_field_names_follow_rules():
    for spec in USER_FIELDS:
        assert len(spec.field_name) <= 20, spec.field_name
        assert re.fullmatch(r"UF_CRM_[A-Z0-9_]+", spec.field_name), spec.field_name
