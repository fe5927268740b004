"""Hostile student names in the CSV and XLSX exports."""

import csv
import io

import pytest
from openpyxl import load_workbook

from b24app.analytics.exports import Column, Table, write_csv, write_xlsx

FORMULAS = [
    '=HYPERLINK("http://127.0.0.1/x","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
]


def names_table(names: list[str]) -> Table:
    return Table("people", (Column("student"),), [{"student": n} for n in names])


def read_xlsx(content: bytes):
    return load_workbook(io.BytesIO(content))["people"]


@pytest.mark.parametrize("name", FORMULAS)
def test_xlsx_writes_formula_like_name_as_text(app, name):
    sheet = read_xlsx(write_xlsx([names_table([name])], "en"))

    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == name


@pytest.mark.parametrize("name", FORMULAS)
def test_csv_defuses_formula_like_name(app, name):
    text = write_csv(names_table([name]), "en").decode("utf-8").removeprefix("\ufeff")
    cell = list(csv.reader(io.StringIO(text)))[1][0]

    assert cell == "'" + name


def test_xlsx_survives_control_characters_in_a_name(app):
    sheet = read_xlsx(write_xlsx([names_table(["Ann\x01a\x1b[31m Lee\x0b"])], "en"))

    assert sheet["A2"].value == "Anna[31m Lee"


def test_xlsx_keeps_cyrillic_emoji_and_rtl_names(app):
    names = ["Иванова Анна 🎓", "\u202eeeL nnA", "שרה כהן"]

    sheet = read_xlsx(write_xlsx([names_table(names)], "en"))

    assert [sheet.cell(row, 1).value for row in (2, 3, 4)] == names
