"""PDF report packs on the hand-built program, read back as text with pypdf."""

import io
import re

import pytest
from pypdf import PdfReader

from b24app.analytics import Filters
from b24app.analytics.organizations import NotFound
from b24app.analytics.report_pdf import build_university_pdf, employer_seats
from b24app.extensions import db
from b24app.program.models import Student


def pdf_lines(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]


SUMMARY = {
    "ru": [
        "Отчёт по вузу",
        "Портал analytics-main.bitrix24.test",
        "Период Все",
        "Даты За всё время",
        "Предложено стажировок 3",
        "Завершено стажировок 1",
        "Студенты 4",
        "Подали заявки 3",
        "В процессе отбора 2",
        "Трудоустроены 1",
        "Мест по договору 4",
        "Мест свободно 1",
        "Дней до трудоустройства, медиана 8",
        "Новая 6 — 100%",
        "Отбор 5 83% 83%",
        "Принят 1 50% 17%",
        "Nord Systems 1 2 0",
        "Orbit Labs 3 2 1",
        "ФамилияS1 ИмяS1 s1@students.example.test — — 2 0",
        "ФамилияS4 ИмяS4 s4@students.example.test — — 0 0",
        "Alpha University · Страница 1 из 4",
    ],
    "en": [
        "University report pack",
        "Portal analytics-main.bitrix24.test",
        "Term Any",
        "Dates All dates",
        "Internships offered 3",
        "Internships completed 1",
        "Students 4",
        "Students applied 3",
        "Students in process 2",
        "Placed 1",
        "Seats agreed 4",
        "Seats left 1",
        "Days to placement, median 8",
        "New 6 — 100%",
        "Screening 5 83% 83%",
        "Hired 1 50% 17%",
        "Nord Systems 1 2 0",
        "Orbit Labs 3 2 1",
        "ФамилияS1 ИмяS1 s1@students.example.test — — 2 0",
        "Alpha University · Page 1 of 4",
    ],
}


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_pdf_pack_figures(program, lang):
    content = build_university_pdf(program.portal_id, program["U1"], Filters(), lang)
    lines = pdf_lines(content)

    assert content.startswith(b"%PDF-")
    assert "Alpha University" in lines
    for expected in SUMMARY[lang]:
        assert expected in lines, expected


def test_pdf_pack_in_one_term(program):
    filters = Filters(term_id=program["T1"])

    content = build_university_pdf(program.portal_id, program["U1"], filters, "en")
    lines = pdf_lines(content)

    assert "Term Spring 2026" in lines
    assert "Orbit Labs 3 2 1" in lines
    assert not any(line.startswith("Nord Systems") for line in lines)


def test_pdf_pack_date_range(program):
    filters = Filters.from_mapping({"date_from": "2026-03-01", "date_to": "2026-03-31"})

    content = build_university_pdf(program.portal_id, program["U1"], filters, "en")

    assert "Dates 2026-03-01 – 2026-03-31" in pdf_lines(content)


def test_pdf_pack_reports_progress(program):
    steps = []

    build_university_pdf(
        program.portal_id, program["U4"], Filters(), "ru", steps.append
    )

    assert steps == sorted(steps)
    assert steps[-1] == 100


def test_pdf_pack_of_other_portal_fails(program):
    with pytest.raises(NotFound):
        build_university_pdf(program.other_portal_id, program["U1"], Filters(), "ru")


def test_employer_seats_sum_partnerships():
    seats = [
        {"employer_name": "B", "agreed": 3, "used": 1, "left": 2},
        {"employer_name": "A", "agreed": 1, "used": 1, "left": 0},
        {"employer_name": "B", "agreed": 2, "used": 2, "left": 0},
    ]

    assert employer_seats(seats) == {
        "A": {"agreed": 1, "used": 1, "left": 0},
        "B": {"agreed": 5, "used": 3, "left": 2},
    }


def test_pdf_student_list_spans_pages(program):
    for number in range(80):
        db.session.add(
            Student(
                portal_id=program.portal_id,
                university_id=program["U4"],
                first_name=f"Имя{number:02d}",
                last_name="Сгенерированный",
                programme="Информатика и вычислительная техника, прикладная математика",
            )
        )
    db.session.commit()

    content = build_university_pdf(program.portal_id, program["U4"], Filters(), "en")
    lines = pdf_lines(content)

    headings = [line for line in lines if line.startswith("Student E-mail")]
    assert len(headings) >= 2
    assert sum("Сгенерированный Имя" in line for line in lines) == 80
    first = next(line for line in lines if "Сгенерированный Имя00" in line)
    assert "Информатика и" in first
    assert first.endswith("… 0 0")
    assert "прикладная" not in first
