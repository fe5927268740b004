"""Bulk student import: parsing, line-numbered errors, all-or-nothing, dedupe."""

import io

import pytest
from openpyxl import Workbook
from portals.support import run_jobs
from sqlalchemy import func, select

from b24app.extensions import db
from b24app.program.import_cli import import_group
from b24app.program.importing import (
    ImportRejected,
    commit_import,
    csv_bytes,
    preview_import,
)
from b24app.program.models import CrmOutbox, Student

from .conftest import submit, valid_fields

HEADER_RU = ["Фамилия", "Имя", "E-mail", "Телефон", "Номер студенческого", "Курс",
             "Направление подготовки", "Навыки"]  # fmt: skip


SURNAMES = ("Иванова", "Петрова", "Сидорова", "Козлова", "Морозова")


def student_count() -> int:
    return db.session.execute(select(func.count(Student.id))).scalar_one()


def good_rows(count: int = 3) -> list[list[str]]:
    return [
        [SURNAMES[n - 1], "Ольга", f"olga{n}@uni.example.test", "", f"Z-{n}", "2",
         "Экономика", "Excel; SQL"]
        for n in range(1, count + 1)
    ]  # fmt: skip


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_csv_import_creates_students(site):
    content = csv_bytes([HEADER_RU, *good_rows(3)])

    result = commit_import(site.portal_id, site.university.id, "list.csv", content)
    student = db.session.execute(
        select(Student).where(Student.student_number == "Z-2")
    ).scalar_one()

    assert (result.created, result.updated) == (3, 0)
    assert student.university_id == site.university.id
    assert student.course == 2
    assert student.source == "import"
    assert db.session.execute(select(func.count(CrmOutbox.id))).scalar_one() == 3


def test_xlsx_import_with_english_headers(site):
    header = ["Last name", "First name", "Email", "Student ID", "Course"]
    content = xlsx_bytes([header, ["Smith", "Jane", "jane@uni.example.test", 1001, 4]])

    result = commit_import(site.portal_id, site.university.id, "list.xlsx", content)
    student = db.session.execute(select(Student)).scalar_one()

    assert result.created == 1
    assert student.student_number == "1001"
    assert student.course == 4


def test_semicolon_cp1251_csv(site):
    text = "Фамилия;Имя;Почта\nПетров;Пётр;petr@uni.example.test\n"

    result = commit_import(
        site.portal_id, site.university.id, "list.csv", text.encode("cp1251")
    )

    assert result.created == 1


def test_broken_rows_reported_by_line_and_nothing_written(site):
    rows = good_rows(4)
    rows[1][2] = "not-an-email"  # line 3
    rows[3][5] = "11"  # line 5
    content = csv_bytes([HEADER_RU, *rows])

    with pytest.raises(ImportRejected) as rejected:
        commit_import(site.portal_id, site.university.id, "list.csv", content)
    found = {(error.line, error.field) for error in rejected.value.errors}

    assert found == {(3, "email"), (5, "course")}
    assert student_count() == 0
    assert db.session.execute(select(func.count(CrmOutbox.id))).scalar_one() == 0


def test_line_numbers_count_multiline_cells(site):
    rows = good_rows(2)
    rows[0][6] = "Экономика\nи управление"  # a quoted cell over two lines
    rows[1][0] = "Bad1"  # starts on line 4
    content = csv_bytes([HEADER_RU, *rows])

    parsed = preview_import(site.portal_id, site.university.id, "a.csv", content)

    assert [(error.line, error.field) for error in parsed.errors] == [(4, "last_name")]


def test_missing_columns_rejected(site):
    content = csv_bytes([["Имя", "Курс"], ["Ольга", "2"]])

    with pytest.raises(ImportRejected) as rejected:
        commit_import(site.portal_id, site.university.id, "list.csv", content)
    fields = {error.field for error in rejected.value.errors}

    assert fields == {"last_name", "email / student_number"}


def test_unsupported_file_type(site):
    parsed = preview_import(site.portal_id, site.university.id, "a.pdf", b"%PDF")

    assert parsed.errors[0].line == 1
    assert parsed.errors[0].message == "Загрузите файл .csv или .xlsx."


def test_corrupt_xlsx(site):
    parsed = preview_import(site.portal_id, site.university.id, "a.xlsx", b"nope")

    assert parsed.errors


def test_preview_writes_nothing_and_shows_matches(site):
    commit_import(
        site.portal_id,
        site.university.id,
        "a.csv",
        csv_bytes([HEADER_RU, *good_rows(1)]),
    )
    content = csv_bytes([HEADER_RU, *good_rows(3)])

    parsed = preview_import(
        site.portal_id, site.university.id, "b.csv", content, limit=2
    )

    assert [row.match for row in parsed.rows] == ["student_number", "new"]
    assert student_count() == 1


def test_import_deduplicates_within_file(site):
    rows = good_rows(1) + [["Иванова", "Ольга", "OLGA1@uni.example.test", "", "",
                            "3", "", "Python"]]  # fmt: skip

    result = commit_import(
        site.portal_id, site.university.id, "a.csv", csv_bytes([HEADER_RU, *rows])
    )
    student = db.session.execute(select(Student)).scalar_one()

    assert (result.created, result.updated) == (1, 1)
    assert student.course == 3
    assert student.skills == ["excel", "python", "sql"]


def test_form_and_import_find_same_student(app, client, site):
    submit(client, site, valid_fields(site, email="same@uni.example.test"))
    run_jobs(app)
    rows = [["Тестоваа", "Анна-Мария", "Same@Uni.example.test", "", "ST-00001",
             "4", "Прикладная информатика", "Docker"]]  # fmt: skip

    result = commit_import(
        site.portal_id, site.university.id, "a.csv", csv_bytes([HEADER_RU, *rows])
    )
    student = db.session.execute(select(Student)).scalar_one()

    assert (result.created, result.updated) == (0, 1)
    assert student.course == 4
    assert "docker" in student.skills


def test_unknown_university_rejected(site):
    with pytest.raises(LookupError):
        commit_import(site.portal_id, 999999, "a.csv", csv_bytes([HEADER_RU]))


def test_cli_preview_and_commit(runner, site, tmp_path):
    path = tmp_path / "students.csv"
    path.write_bytes(csv_bytes([HEADER_RU, *good_rows(2)]))
    arguments = ["students", str(path), "--portal", str(site.portal_id),
                 "--university", str(site.university.id)]  # fmt: skip

    preview = runner.invoke(import_group, args=arguments)
    assert preview.exit_code == 0, preview.output
    assert "line 2: Иванова Ольга" in preview.output
    assert student_count() == 0

    done = runner.invoke(import_group, args=[*arguments, "--commit"])
    assert done.exit_code == 0, done.output
    assert "imported: 2 new, 0 updated" in done.output
    assert student_count() == 2


def test_cli_reports_errors(runner, site, tmp_path):
    rows = good_rows(2)
    rows[1][1] = ""
    path = tmp_path / "students.csv"
    path.write_bytes(csv_bytes([HEADER_RU, *rows]))

    result = runner.invoke(
        import_group,
        args=["students", str(path), "--portal", str(site.portal_id),
              "--university", str(site.university.id), "--commit", "--lang", "en"]
    )  # fmt: skip

    assert result.exit_code != 0
    assert "line 3, first_name: This field is required." in result.output
    assert student_count() == 0
