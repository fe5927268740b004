"""Rules for the student fields every intake channel takes: form, import, API.

Each `clean_*` function returns the cleaned value or raises FieldError with a
message in the current language. Limits match the Student columns.

Control characters (PostgreSQL rejects text with NUL) are handled by kind of
field. In free text, such as names, programme, skills and the cover note, they
become spaces, since pasted text carries them by accident. In identifiers,
such as e-mail and phone, they make the value invalid, because changing an
identifier could make it match someone else.
"""

import re

from b24app.intake.i18n import gettext as _
from b24app.program.normalize import clean_name, normalize_phone
from b24app.web.params import find_control_character, replace_control_characters

NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX = 40
STUDENT_NUMBER_MAX = 64
PROGRAMME_MAX = 255
SKILLS_TEXT_MAX = 1000
SKILL_MAX = 60
SKILLS_MAX_COUNT = 30
COVER_NOTE_MAX = 4000
COURSE_MIN, COURSE_MAX = 1, 6

# Letters of any script (Cyrillic included), with inner spaces, hyphens and
# apostrophes, as in "Анна-Мария" or "O'Neil".
_NAME = re.compile(r"^[^\W\d_]+(?:[ '’\-][^\W\d_]+)*$")
# A practical address check: one "@", no spaces or control characters, a dot in
# the domain.
_EMAIL = re.compile(
    r"^[^@\s<>\"\x00-\x1f\x7f]+@[^@\s<>\"\x00-\x1f\x7f]+"
    r"\.[^@\s<>\".\x00-\x1f\x7f]{2,}$"
)
_STUDENT_NUMBER = re.compile(r"^[0-9A-Za-zА-Яа-яЁё\-/.]+$")
_PHONE_CHARACTERS = re.compile(r"^\+?[\d\s()\-.]+$")


class FieldError(ValueError):
    """An invalid field value: `field` names the field, the message the reason."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise FieldError(
            field,
            _("Too long: at most %(limit)d characters, got %(length)d.")
            % {"limit": limit, "length": len(value)},
        )


def clean_text(raw: str | None) -> str:
    """Turn control characters into spaces, then strip and collapse whitespace."""
    return clean_name(replace_control_characters(raw or ""))


def clean_person_name(field: str, raw: str | None) -> str:
    value = clean_text(raw)
    if not value:
        raise FieldError(field, _("This field is required."))
    check_length(field, value, NAME_MAX)
    if not _NAME.match(value):
        raise FieldError(
            field, _("Use letters only, with spaces, hyphens or apostrophes.")
        )
    return value


def clean_email(raw: str | None) -> str:
    value = (raw or "").strip()
    if not value:
        raise FieldError("email", _("This field is required."))
    check_length("email", value, EMAIL_MAX)
    if not _EMAIL.match(value):
        raise FieldError(
            "email", _("Enter a valid e-mail address, like name@example.com.")
        )
    return value


def clean_phone(raw: str | None, required: bool = False) -> str | None:
    value = (raw or "").strip()
    if not value:
        if required:
            raise FieldError("phone", _("This field is required."))
        return None
    check_length("phone", value, PHONE_MAX)
    if (
        find_control_character(value)
        or not _PHONE_CHARACTERS.match(value)
        or normalize_phone(value) is None
    ):
        raise FieldError(
            "phone",
            _("Enter a phone number with 10 to 15 digits, like +7 916 123-45-67."),
        )
    return value


def clean_student_number(raw: str | None, required: bool = True) -> str | None:
    value = (raw or "").strip()
    if not value:
        if required:
            raise FieldError("student_number", _("This field is required."))
        return None
    check_length("student_number", value, STUDENT_NUMBER_MAX)
    if not _STUDENT_NUMBER.match(value):
        raise FieldError(
            "student_number",
            _("Use letters, digits, hyphens, dots or slashes only."),
        )
    return value


def clean_course(raw: str | int | None, required: bool = True) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        if required:
            raise FieldError("course", _("This field is required."))
        return None
    try:
        course = int(float(text)) if re.fullmatch(r"[0-9]+(\.0+)?", text) else None
    except ValueError:
        course = None
    if course is None or not COURSE_MIN <= course <= COURSE_MAX:
        raise FieldError(
            "course",
            _("Enter a course from %(low)d to %(high)d.")
            % {"low": COURSE_MIN, "high": COURSE_MAX},
        )
    return course


def clean_programme(raw: str | None, required: bool = True) -> str:
    value = clean_text(raw)
    if not value and required:
        raise FieldError("programme", _("This field is required."))
    check_length("programme", value, PROGRAMME_MAX)
    return value


def clean_skills(raw: str | list[str] | None) -> list[str]:
    """Split "python, sql; Docker" into skills; duplicates and blanks are dropped."""
    text = ", ".join(raw) if isinstance(raw, list) else (raw or "")
    check_length("skills", text, SKILLS_TEXT_MAX)
    skills: list[str] = []
    for item in re.split(r"[,;\n]", text):
        skill = clean_text(item)
        if not skill or skill.casefold() in {known.casefold() for known in skills}:
            continue
        check_length("skills", skill, SKILL_MAX)
        skills.append(skill)
    if len(skills) > SKILLS_MAX_COUNT:
        raise FieldError(
            "skills",
            _("List at most %(count)d skills.") % {"count": SKILLS_MAX_COUNT},
        )
    return skills


def clean_cover_note(raw: str | None) -> str:
    """Keep free text as typed, but replace control characters with spaces.

    Tabs and line breaks stay. Templates escape the text when they show it.
    """
    value = replace_control_characters(raw or "").strip()
    check_length("cover_note", value, COVER_NOTE_MAX)
    return value
