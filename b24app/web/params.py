"""Strict parsing of request values: ids and counts, control characters, JSON depth.

`str.isdigit()` and `int()` accept far more than ASCII digits (`"²".isdigit()`
is true and `int("²")` raises, `int("٣")` is 3), and PostgreSQL rejects text
with a NUL byte. Every id or number taken from a request goes through
`positive_int` or `non_negative_int`, and text through `find_control_character`.
"""

from __future__ import annotations

import re

# PostgreSQL integer columns hold at most 2**31 - 1.
MAX_ID = 2**31 - 1
# C0 control characters and DEL, except tab, line feed and carriage return,
# which text areas send (browsers post line breaks as CR LF).
_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASCII_NUMBER = re.compile(r"[0-9]{1,10}")
# A JSON string with its escapes, or one bracket outside any string.
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class InvalidParameter(ValueError):
    """A request value that is not what its field takes; the message names both."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def positive_int(value: str | None, *, field: str, maximum: int = MAX_ID) -> int:
    """Parse 1..maximum written in ASCII digits; raise InvalidParameter otherwise."""
    return _bounded_int(value, field, 1, maximum)


def non_negative_int(value: str | None, *, field: str, maximum: int = MAX_ID) -> int:
    """Parse 0..maximum written in ASCII digits; raise InvalidParameter otherwise."""
    return _bounded_int(value, field, 0, maximum)


def optional_positive_int(
    value: str | None, *, field: str, maximum: int = MAX_ID
) -> int | None:
    """Return None for a missing or blank value, else `positive_int(value)`."""
    if value is None or not value.strip():
        return None
    return positive_int(value, field=field, maximum=maximum)


def _bounded_int(value: str | None, field: str, minimum: int, maximum: int) -> int:
    text = (value or "").strip()
    if not text:
        raise InvalidParameter(field, f"{field} is missing")

    expected = f"a whole number from {minimum} to {maximum}"
    if not _ASCII_NUMBER.fullmatch(text):
        raise InvalidParameter(field, f"invalid {field} {text[:20]!r}: {expected}")
    number = int(text)
    if not minimum <= number <= maximum:
        raise InvalidParameter(field, f"invalid {field} {text!r}: {expected}")
    return number


def find_control_character(text: str) -> str | None:
    """Return the first control character in `text` other than tab, LF and CR."""
    match = _CONTROL_CHARACTER.search(text)
    return match.group() if match else None


def replace_control_characters(text: str, replacement: str = " ") -> str:
    """Replace every control character other than tab, LF and CR."""
    return _CONTROL_CHARACTER.sub(replacement, text)


def json_depth_exceeds(document: bytes | str, limit: int) -> bool:
    """Return True if a JSON text nests arrays and objects deeper than `limit`.

    The scan is iterative, so it can run before a recursive parser reads the text.
    Brackets inside strings do not count. Invalid JSON may be over-counted,
    which only rejects it earlier than the parser would.
    """
    data = document.encode() if isinstance(document, str) else document
    depth = 0
    for match in _JSON_TOKEN.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False
