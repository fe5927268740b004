"""Find and remove one person's identifying strings in text and JSON values."""

import json
import re
from dataclasses import dataclass
from typing import Any

from b24app.program.models import Student

REDACTED = "[erased]"
# JSON keys whose values are personal data wherever they appear in a row about
# the person: the form fields, `StudentData`, and the CRM contact fields.
PERSONAL_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "middle_name",
        "second_name",
        "full_name",
        "email",
        "email_normalized",
        "phone",
        "phone_normalized",
        "student_number",
        "skills",
        "programme",
        "NAME",
        "LAST_NAME",
        "SECOND_NAME",
        "EMAIL",
        "PHONE",
    }
)
# Phone digits may be written with these between them ("+7 (916) 123-45-67").
PHONE_SEPARATORS = r"[\s\-().+]*"
MIN_NEEDLE_LENGTH = 2


@dataclass(frozen=True)
class Identity:
    """The strings that identify one student, split by how safe a match is.

    `strong` strings (e-mail, phone, student number, full name) are specific
    enough to scrub in any row of the portal. `weak` ones (a first or last name
    alone) are scrubbed only in rows already linked to the student by id.
    """

    strong: tuple[str, ...]
    weak: tuple[str, ...]
    phone_digits: str | None

    @property
    def needles(self) -> tuple[str, ...]:
        return self.strong + self.weak

    def search_terms(self, include_weak: bool) -> list[str]:
        """Lower-case substrings for a SQL pre-filter, raw and JSON-escaped."""
        values = self.needles if include_weak else self.strong
        terms = set()
        for value in values:
            terms.add(value.lower())
            # SQLAlchemy and Flask write JSON with ensure_ascii, so Cyrillic
            # names are stored as \uXXXX escapes.
            terms.add(json.dumps(value)[1:-1].lower())
        if self.phone_digits:
            terms.add(self.phone_digits[-7:])
        return sorted(terms)


def identity_of(student: Student) -> Identity:
    """Collect the identifying strings of a student before they are erased."""
    first, last = student.first_name.strip(), student.last_name.strip()
    strong = [
        student.email,
        student.email_normalized,
        student.phone,
        student.phone_normalized,
        student.student_number,
    ]
    if first and last:
        strong += [f"{first} {last}", f"{last} {first}"]
    weak = [first, last]

    def usable(values: list[str | None]) -> tuple[str, ...]:
        unique = {
            v.strip() for v in values if v and len(v.strip()) >= MIN_NEEDLE_LENGTH
        }
        return tuple(sorted(unique, key=len, reverse=True))

    digits = re.sub(r"\D", "", student.phone_normalized or student.phone or "")
    return Identity(usable(strong), usable(weak), digits or None)


def _pattern(identity: Identity, include_weak: bool) -> re.Pattern[str] | None:
    values = identity.needles if include_weak else identity.strong
    parts = [re.escape(value) for value in values]
    if identity.phone_digits and len(identity.phone_digits) >= 7:
        # The last ten digits match the number with or without a country code.
        digits = identity.phone_digits[-10:]
        parts.append(PHONE_SEPARATORS.join(re.escape(d) for d in digits))
    if not parts:
        return None
    # Word boundaries keep "Petrov1" from matching inside "Petrov10".
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


class Scrubber:
    """Replace an identity's strings in text and JSON values.

    With `include_weak`, single names are replaced too, and the values of
    PERSONAL_KEYS are emptied; use it only on rows linked to the student.
    """

    def __init__(self, identity: Identity, include_weak: bool) -> None:
        self.pattern = _pattern(identity, include_weak)
        self.escaped = _escaped_needles(identity, include_weak)
        self.by_key = include_weak

    def mentions(self, value: Any) -> bool:
        """Return True if a text or JSON value contains one of the strings."""
        if self.pattern is None or value is None:
            return False
        if not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False)
        if self.pattern.search(value):
            return True
        return any(escaped in value for escaped in self.escaped)

    def text(self, value: str) -> str:
        """Return `value` with every identifying string replaced by REDACTED."""
        if self.pattern is None or not value:
            return value
        parsed = _json_container(value)
        if parsed is not None:
            scrubbed = self.json(parsed)
            if scrubbed != parsed:
                return json.dumps(scrubbed)

        result = self.pattern.sub(REDACTED, value)
        for escaped in self.escaped:
            result = result.replace(escaped, REDACTED)
        return result

    def json(self, value: Any) -> Any:
        """Return a copy of a JSON value with personal data removed."""
        if isinstance(value, dict):
            return {key: self._field(key, item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _field(self, key: str, value: Any) -> Any:
        if self.by_key and key in PERSONAL_KEYS:
            return _emptied(value)
        return self.json(value)


def _escaped_needles(identity: Identity, include_weak: bool) -> list[str]:
    """Return the JSON-escaped forms of non-ASCII strings, as found in JSON text."""
    values = identity.needles if include_weak else identity.strong
    escaped = (json.dumps(value)[1:-1] for value in values)
    return [item for item in escaped if "\\u" in item]


def _json_container(value: str) -> Any:
    if not value.lstrip().startswith(("{", "[")):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _emptied(value: Any) -> Any:
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {}
    return None
