import pytest

from b24app.extensions import db
from b24app.program.models import Skill
from b24app.program.normalize import clean_name, normalize_email, normalize_phone
from b24app.program.skills import build_alias_map, load_alias_map, normalize_skills


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+7 (916) 123-45-67", "79161234567"),
        ("8 916 123 45 67", "79161234567"),
        ("89161234567", "79161234567"),
        ("9161234567", "79161234567"),
        ("7-916-123-4567", "79161234567"),
        ("+44 20 7946 0958", "442079460958"),
        ("12345", None),
        ("", None),
        (None, None),
        ("1234567890123456", None),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ivan.Petrov@Example.TEST ", "ivan.petrov@example.test"),
        ("first.last+tag@mail.example.test", "first.last+tag@mail.example.test"),
        ("mailto:Someone@Example.test", "someone@example.test"),
        ("Студент@Почта.РФ", "студент@почта.рф"),
        ("no-at-sign", None),
        ("@example.test", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_email(raw, expected):
    assert normalize_email(raw) == expected


def test_clean_name_keeps_case_and_letters():
    assert clean_name("  Анна   Ёлкина ") == "Анна Ёлкина"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["Питон", "JS", " React.js "], ["javascript", "python", "react"]),
        (["PYTHON", "python3", "пайтон"], ["python"]),
        ("Си++, 1С; Эксель", ["1c", "c++", "excel"]),
        (["Rust", "rust "], ["rust"]),
        (["", "  "], []),
        (None, []),
    ],
)
def test_normalize_skills_builtin(raw, expected):
    assert normalize_skills(raw, build_alias_map()) == expected


def test_portal_skill_adds_aliases(program, other_program):
    db.session.add(
        Skill(portal_id=program.portal_id, name="Kotlin", aliases=["Котлин"])
    )
    db.session.commit()

    mine = normalize_skills(["котлин"], load_alias_map(program.portal_id))
    theirs = normalize_skills(["котлин"], load_alias_map(other_program.portal_id))

    assert mine == ["kotlin"]
    assert theirs == ["котлин"]
