"""CRM record to mirror row mapping, on the documented value shapes."""

from datetime import date, datetime, timedelta, timezone

from b24app.sync.mapping import MappingRules, map_record

RULES = MappingRules(
    internships_category=5,
    internship_statuses={"C5:OPEN": "open"},
    user_fields={
        "seats": "UF_CRM_B24_SEATS",
        "starts_on": "UF_CRM_B24_START",
        "ends_on": "UF_CRM_B24_END",
        "applications_open_at": "UF_CRM_B24_APPOPEN",
        "applications_close_at": "UF_CRM_B24_APPCLOSE",
    },
)


def internship_record(**fields):
    return {
        "ID": "41",
        "TITLE": "Стажёр-аналитик",
        "CATEGORY_ID": "5",
        "STAGE_ID": "C5:OPEN",
        "COMPANY_ID": "7",
        "DATE_MODIFY": "2026-12-01T10:00:00+03:00",
        **fields,
    }


def test_internship_dates_and_window_mapped():
    record = internship_record(
        UF_CRM_B24_SEATS="4",
        UF_CRM_B24_START="2027-02-01T00:00:00+03:00",
        UF_CRM_B24_END="2027-05-31T00:00:00+03:00",
        UF_CRM_B24_APPOPEN="2026-12-01T09:00:00+03:00",
        UF_CRM_B24_APPCLOSE="2027-01-15T18:00:00+03:00",
    )

    mapped = map_record("deal", record, RULES)

    moscow = timezone(timedelta(hours=3))
    assert mapped.kind == "internship"
    assert mapped.values["status"] == "open"
    assert mapped.values["seats"] == 4
    assert mapped.values["starts_on"] == date(2027, 2, 1)
    assert mapped.values["ends_on"] == date(2027, 5, 31)
    assert mapped.values["applications_open_at"] == datetime(
        2026, 12, 1, 9, 0, tzinfo=moscow
    )
    assert mapped.values["applications_close_at"] == datetime(
        2027, 1, 15, 18, 0, tzinfo=moscow
    )


def test_empty_date_fields_map_to_none():
    mapped = map_record(
        "deal", internship_record(UF_CRM_B24_START="", UF_CRM_B24_APPCLOSE=""), RULES
    )

    assert mapped.values["starts_on"] is None
    assert mapped.values["applications_close_at"] is None


def test_garbled_date_maps_to_none():
    mapped = map_record("deal", internship_record(UF_CRM_B24_END="31.13.2027"), RULES)

    assert mapped.values["ends_on"] is None


def test_ledger_values_round_trip_through_json():
    import json

    from b24app.sync.mapping import values_from_json, values_to_json

    record = internship_record(
        UF_CRM_B24_START="2027-02-01T00:00:00+03:00",
        UF_CRM_B24_APPCLOSE="2027-01-15T18:00:00+03:00",
    )
    values = map_record("deal", record, RULES).values

    stored = json.loads(json.dumps(values_to_json(values)))

    assert values_from_json(stored) == values


def test_skills_split_inside_multiple_field_items():
    from b24app.sync.mapping import split_list

    assert split_list(["Python, SQL", "Git"]) == ["Git", "Python", "SQL"]
    assert split_list("Excel,  1С ,") == ["1С", "Excel"]
    assert split_list([]) == []
