"""Figures as export tables: the dashboard and one university's summary."""

from typing import Any

from b24app.analytics import labels
from b24app.analytics.exports import Column, Table

SEAT_COLUMNS = (
    Column("employer_name", "employer"),
    Column("university_name", "university"),
    Column("agreed"),
    Column("used"),
    Column("left"),
)
FUNNEL_COLUMNS = (
    Column("stage", values=True),
    Column("reached"),
    Column("conversion_from_previous"),
    Column("conversion_from_start"),
)


def counts_table(name: str, key_title: str, counts: dict[str, int]) -> Table:
    rows = [{"key": key, "count": count} for key, count in counts.items()]
    return Table(name, (Column("key", key_title, values=True), Column("count")), rows)


def metrics_table(name: str, metrics: dict[str, Any], lang: str) -> Table:
    """Build a two-column table of named values; the names are label keys."""
    rows = [
        {"metric": labels.title(key, lang), "value": value}
        for key, value in metrics.items()
    ]
    return Table(name, (Column("metric"), Column("value")), rows)


def dashboard_tables(figures: dict[str, Any], lang: str) -> list[Table]:
    """Build a table of every dashboard figure, in the order the page shows them."""
    hire = figures["time_to_hire"]
    summary = {
        **figures["totals"],
        "time_to_hire_median": hire["median_days"],
        "time_to_hire_p90": hire["p90_days"],
    }
    durations = [
        {"stage": stage, **values}
        for stage, values in figures["stage_durations"].items()
    ]
    return [
        metrics_table("summary", summary, lang),
        counts_table("internship_status", "status", figures["internship_status"]),
        counts_table("application_stage", "stage", figures["application_stage"]),
        Table(
            "by_university",
            (
                Column("university_name", "university"),
                Column("applications"),
                Column("students"),
                Column("placed"),
            ),
            figures["by_university"],
        ),
        Table("funnel", FUNNEL_COLUMNS, figures["funnel"]),
        Table(
            "stage_durations",
            (
                Column("stage", values=True),
                Column("median_days"),
                Column("p90_days"),
                Column("count"),
            ),
            durations,
        ),
        counts_table("sources", "source", figures["sources"]),
        Table(
            "recruiter_load",
            (
                Column("user_id"),
                Column("name", "recruiter"),
                Column("active"),
                Column("hired"),
                Column("total"),
            ),
            figures["recruiter_load"],
        ),
        Table(
            "monthly",
            (Column("month"), Column("applications"), Column("hired")),
            figures["monthly"],
        ),
    ]


def university_summary(figures: dict[str, Any], lang: str) -> dict[str, Any]:
    """Collect the headline numbers of one university, keyed by label."""
    placement = figures["time_to_placement"]
    return {
        "university": figures["university"]["name"],
        "offered": figures["internships"]["offered"],
        "completed": figures["internships"]["completed"],
        "students": figures["students"]["total"],
        "applied": figures["students"]["applied"],
        "in_process": figures["students"]["in_process"],
        "placed": figures["students"]["placed"],
        "agreed": sum(row["agreed"] for row in figures["seats"]),
        "used": sum(row["used"] for row in figures["seats"]),
        "left": sum(row["left"] for row in figures["seats"]),
        "time_to_placement_median": placement["median_days"],
        "time_to_placement_p90": placement["p90_days"],
    }
