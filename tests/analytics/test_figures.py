"""Dashboard, university and employer figures against hand-computed values."""

from datetime import date

import pytest

from b24app.analytics import (
    Filters,
    NotFound,
    dashboard_figures,
    employer_figures,
    university_figures,
)


def test_dashboard_totals(program):
    figures = dashboard_figures(program.portal_id)

    assert figures["totals"] == {
        "internships": 5,
        "applications": 8,
        "active_applications": 4,
        "partner_universities": 2,
    }


def test_dashboard_status_distributions(program):
    figures = dashboard_figures(program.portal_id)

    assert figures["internship_status"] == {
        "draft": 1,
        "open": 2,
        "closed": 1,
        "completed": 1,
        "cancelled": 0,
    }
    assert figures["application_stage"] == {
        "new": 2,
        "screening": 1,
        "interview": 0,
        "offer": 1,
        "hired": 2,
        "rejected": 1,
        "withdrawn": 1,
    }


def test_dashboard_funnel_counts_reached_stages(program):
    funnel = dashboard_figures(program.portal_id)["funnel"]

    assert [row["stage"] for row in funnel] == [
        "new",
        "screening",
        "interview",
        "offer",
        "hired",
    ]
    assert [row["reached"] for row in funnel] == [8, 6, 4, 3, 2]
    assert [row["conversion_from_previous"] for row in funnel] == [
        None,
        0.75,
        0.6667,
        0.75,
        0.6667,
    ]
    assert [row["conversion_from_start"] for row in funnel] == [
        1.0,
        0.75,
        0.5,
        0.375,
        0.25,
    ]


def test_dashboard_stage_durations(program):
    durations = dashboard_figures(program.portal_id)["stage_durations"]

    assert durations == {
        "new": {"median_days": 1.5, "p90_days": 2.5, "count": 6},
        "screening": {"median_days": 3.0, "p90_days": 3.0, "count": 4},
        "interview": {"median_days": 4.0, "p90_days": 4.0, "count": 3},
        "offer": {"median_days": 3.5, "p90_days": 3.9, "count": 2},
    }


def test_dashboard_time_to_hire(program):
    hire = dashboard_figures(program.portal_id)["time_to_hire"]

    assert hire == {"median_days": 11.0, "p90_days": 11.8, "count": 2}


def test_dashboard_sources(program):
    sources = dashboard_figures(program.portal_id)["sources"]

    assert sources == {"form": 4, "api": 1, "crm": 1, "import": 1, "card": 1}


def test_dashboard_recruiter_load(program):
    load = dashboard_figures(program.portal_id)["recruiter_load"]

    assert load == [
        {
            "user_id": 12,
            "name": "",
            "recruiter_active": True,
            "active": 1,
            "hired": 0,
            "total": 2,
        },
        {
            "user_id": 13,
            "name": "Boris Test",
            "recruiter_active": False,
            "active": 1,
            "hired": 0,
            "total": 1,
        },
        {
            "user_id": 11,
            "name": "Anna Test",
            "recruiter_active": True,
            "active": 0,
            "hired": 2,
            "total": 3,
        },
    ]


def test_dashboard_monthly_trend(program):
    monthly = dashboard_figures(program.portal_id)["monthly"]

    assert monthly == [
        {"month": "2026-03", "applications": 6, "hired": 2},
        {"month": "2026-09", "applications": 2, "hired": 0},
    ]


def test_dashboard_by_university(program):
    rows = dashboard_figures(program.portal_id)["by_university"]

    assert rows == [
        {
            "university_id": program["U1"],
            "university_name": "Alpha University",
            "applications": 6,
            "students": 3,
            "placed": 1,
        },
        {
            "university_id": program["U2"],
            "university_name": "Beta Institute",
            "applications": 2,
            "students": 2,
            "placed": 1,
        },
    ]


@pytest.mark.parametrize(
    ("date_to", "expected"),
    [(date(2026, 3, 31), 6), (date(2026, 3, 30), 5)],
)
def test_date_range_ends_inclusive(program, date_to, expected):
    filters = Filters(date_from=date(2026, 3, 1), date_to=date_to)

    totals = dashboard_figures(program.portal_id, filters)["totals"]

    assert totals["applications"] == expected


def test_term_filter(program):
    spring = dashboard_figures(program.portal_id, Filters(term_id=program["T1"]))
    autumn = dashboard_figures(program.portal_id, Filters(term_id=program["T2"]))

    assert spring["totals"]["applications"] == 6
    assert autumn["totals"]["applications"] == 2
    assert spring["totals"]["internships"] == 4
    assert autumn["totals"]["internships"] == 1
    assert spring["filters"] == {"term_id": program["T1"]}


def test_empty_portal_dashboard(program):
    figures = dashboard_figures(program.other_portal_id + 100)

    assert figures["totals"]["applications"] == 0
    assert [row["reached"] for row in figures["funnel"]] == [0, 0, 0, 0, 0]
    assert figures["funnel"][1]["conversion_from_previous"] is None
    assert figures["time_to_hire"] == {
        "median_days": None,
        "p90_days": None,
        "count": 0,
    }
    assert figures["monthly"] == []


def test_other_portal_is_separate(program):
    totals = dashboard_figures(program.other_portal_id)["totals"]

    assert totals["applications"] == 1
    assert totals["internships"] == 1


def test_university_figures(program):
    figures = university_figures(program.portal_id, program["U1"])

    assert figures["university"] == {"id": program["U1"], "name": "Alpha University"}
    assert figures["internships"]["offered"] == 3
    assert figures["internships"]["completed"] == 1
    assert figures["students"] == {
        "total": 4,
        "applied": 3,
        "placed": 1,
        "in_process": 2,
    }
    assert [row["reached"] for row in figures["funnel"]] == [6, 5, 3, 2, 1]
    assert figures["time_to_placement"] == {
        "median_days": 8.0,
        "p90_days": 11.2,
        "count": 2,
    }


def test_university_seats_count_holding_applications(program):
    seats = university_figures(program.portal_id, program["U1"])["seats"]

    assert [
        (row["partnership_id"], row["agreed"], row["used"], row["left"])
        for row in seats
    ] == [(program["P3"], 1, 2, 0), (program["P1"], 3, 2, 1)]
    assert seats[0]["employer_name"] == "Nord Systems"


def test_university_figures_in_one_term(program):
    figures = university_figures(
        program.portal_id, program["U1"], Filters(term_id=program["T1"])
    )

    assert figures["students"] == {
        "total": 4,
        "applied": 3,
        "placed": 1,
        "in_process": 1,
    }
    assert figures["internships"]["offered"] == 2
    assert [row["partnership_id"] for row in figures["seats"]] == [program["P1"]]


def test_university_without_applications(program):
    figures = university_figures(program.portal_id, program["U4"])

    assert figures["students"] == {
        "total": 0,
        "applied": 0,
        "placed": 0,
        "in_process": 0,
    }
    assert figures["internships"]["offered"] == 0
    assert figures["seats"] == []
    assert figures["funnel"][0]["reached"] == 0


@pytest.mark.parametrize("name", ["U3", None])
def test_deleted_or_unknown_university_not_found(program, name):
    university_id = program[name] if name else 999_999

    with pytest.raises(NotFound):
        university_figures(program.portal_id, university_id)


def test_university_of_other_portal_not_found(program):
    with pytest.raises(NotFound):
        university_figures(program.other_portal_id, program["U1"])


def test_employer_figures(program):
    figures = employer_figures(program.portal_id, program["E2"])

    assert figures["internships"]["total"] == 3
    assert figures["applications"]["total"] == 4
    assert figures["applications"]["by_stage"] == {
        "new": 1,
        "screening": 0,
        "interview": 0,
        "offer": 1,
        "hired": 1,
        "rejected": 0,
        "withdrawn": 1,
    }
    by_university = figures["applications"]["by_university"]
    assert [(row["university_name"], row["total"]) for row in by_university] == [
        ("Alpha University", 3),
        ("Beta Institute", 1),
    ]
    assert by_university[0]["by_stage"]["withdrawn"] == 1
    assert [(row["partnership_id"], row["used"]) for row in figures["seats"]] == [
        (program["P3"], 2),
        (program["P2"], 1),
    ]
    assert figures["time_to_hire"] == {
        "median_days": 10.0,
        "p90_days": 10.0,
        "count": 1,
    }


def test_deleted_employer_not_found(program):
    with pytest.raises(NotFound):
        employer_figures(program.portal_id, program["E3"])
