"""CSV and XLSX exports, read back cell by cell.

Titles come from the Flask-Babel catalogs, so every test runs in the app.
"""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from b24app.analytics import dashboard_figures
from b24app.analytics.exports import Column, Table, write_csv, write_xlsx
from b24app.analytics.tables import dashboard_tables


def people_table(rows=None) -> Table:
    return Table(
        "people",
        (Column("student"), Column("stage", values=True), Column("applied_on")),
        rows
        if rows is not None
        else [
            {
                "student": "Иванова Анна",
                "stage": "hired",
                "applied_on": date(2026, 3, 1),
            },
            {
                "student": "Smith; Jo",
                "stage": "new",
                "applied_on": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
            },
        ],
    )


def read_csv(content: bytes, delimiter: str) -> list[list[str]]:
    text = content.decode("utf-8")
    return list(
        csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter)
    )


def test_csv_has_bom_and_russian_titles(app):
    content = write_csv(people_table(), "ru", delimiter=";")

    assert content.startswith("\ufeff".encode())
    assert read_csv(content, ";") == [
        ["Студент", "Стадия", "Дата заявки"],
        ["Иванова Анна", "Принят", "2026-03-01"],
        ["Smith; Jo", "Новая", "2026-03-02 09:30:00"],
    ]


def test_csv_in_english_with_commas(app):
    rows = read_csv(write_csv(people_table(), "en"), ",")

    assert rows[0] == ["Student", "Stage", "Applied on"]
    assert rows[1][1] == "Hired"


def test_csv_rejects_unknown_delimiter(app):
    with pytest.raises(ValueError, match="delimiter"):
        write_csv(people_table(), "en", delimiter="|")


def test_xlsx_cells_titles_and_dates(app):
    workbook = load_workbook(io.BytesIO(write_xlsx([people_table()], "ru")))
    sheet = workbook["people"]

    assert [cell.value for cell in sheet[1]] == ["Студент", "Стадия", "Дата заявки"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["A2"].value == "Иванова Анна"
    assert sheet["B2"].value == "Принят"
    assert sheet["C2"].is_date
    assert sheet["C2"].value == datetime(2026, 3, 1)
    assert sheet["C3"].value == datetime(2026, 3, 2, 9, 30)
    assert sheet.column_dimensions["A"].width >= len("Иванова Анна")


def test_xlsx_streams_a_large_table(app):
    rows = (
        {"student": f"s{i}", "stage": "new", "applied_on": None} for i in range(5000)
    )

    workbook = load_workbook(io.BytesIO(write_xlsx([people_table(rows)], "en")))
    sheet = workbook["people"]

    assert sheet.max_row == 5001
    assert sheet["A5001"].value == "s4999"


def test_dashboard_export_sheets(program):
    figures = dashboard_figures(program.portal_id)

    content = write_xlsx(dashboard_tables(figures, "en"), "en")
    workbook = load_workbook(io.BytesIO(content))

    assert workbook.sheetnames == [
        "Summary",
        "Internships by status",
        "Applications by stage",
        "Applications by university",
        "Funnel",
        "Time in each stage",
        "Applications by source",
        "Recruiter load",
        "Monthly trend",
    ]
    summary = {
        row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True)
    }
    assert summary["Applications"] == 8
    assert summary["Days to hire, median"] == 11.0
    funnel = list(workbook["Funnel"].iter_rows(min_row=2, values_only=True))
    assert funnel[1] == ("Screening", 6, 0.75, 0.75)


def test_dashboard_funnel_as_csv(program):
    figures = dashboard_figures(program.portal_id)
    funnel = dashboard_tables(figures, "ru")[4]

    rows = read_csv(write_csv(funnel, "ru", delimiter=";"), ";")

    assert rows[0][0] == "Стадия"
    assert rows[1] == ["Новая", "8", "", "1.0"]
    assert rows[5] == ["Принят", "2", "0.6667", "0.25"]


@pytest.mark.parametrize(
    ("lang", "sheet", "headers", "stage"),
    [
        (
            "ru",
            "Воронка",
            ["Стадия", "Дошли до стадии", "Конверсия из предыдущей стадии"],
            "Отбор",
        ),
        (
            "en",
            "Funnel",
            ["Stage", "Reached", "Conversion from previous stage"],
            "Screening",
        ),
    ],
)
def test_dashboard_export_in_language(program, lang, sheet, headers, stage):
    figures = dashboard_figures(program.portal_id)

    content = write_xlsx(dashboard_tables(figures, lang), lang)
    workbook = load_workbook(io.BytesIO(content))

    assert sheet in workbook.sheetnames
    header_cells = [cell.value for cell in workbook[sheet][1]]
    assert header_cells[:3] == headers
    assert workbook[sheet]["A3"].value == stage


def test_export_titles_follow_catalog_not_request(app, program):
    figures = dashboard_figures(program.portal_id)

    with app.test_request_context("/?LANG=en"):
        content = write_xlsx(dashboard_tables(figures, "ru"), "ru")
    workbook = load_workbook(io.BytesIO(content))

    assert workbook.sheetnames[0] == "Сводка"
    assert [cell.value for cell in workbook["Сводка"][1]] == ["Показатель", "Значение"]
