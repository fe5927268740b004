"""Normalization of the values people type: e-mail, phone, names, free text."""

import re
from datetime import UTC, datetime

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D")


def normalize_text(value: str | None) -> str:
    """Strip, collapse inner whitespace and fold case; "ё" becomes "е"."""
    if not value:
        return ""
    return _SPACES.sub(" ", value).strip().casefold().replace("ё", "е")


def clean_name(value: str | None) -> str:
    """Strip and collapse whitespace in a personal name, keeping its case."""
    if not value:
        return ""
    return _SPACES.sub(" ", value).strip()


def normalize_email(value: str | None) -> str | None:
    """Strip and lowercase an address; None when it has no "@".

    Dots and "+tags" stay: several mail providers treat them as different boxes.
    """
    if not value:
        return None
    email = value.strip().lower()
    if email.startswith("mailto:"):
        email = email[len("mailto:") :]
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        return None
    return email


def email_domain(email_normalized: str | None) -> str | None:
    if not email_normalized:
        return None
    return email_normalized.rpartition("@")[2]


def normalize_phone(value: str | None) -> str | None:
    """Digits with the country code first; None when fewer than 10 digits.

    Russian numbers written as 8XXXXXXXXXX or as 10 digits starting with 9 get
    the country code 7.
    """
    if not value:
        return None
    digits = _NON_DIGITS.sub("", value)
    if len(digits) == 11 and digits.startswith("8"):
        return "7" + digits[1:]
    if len(digits) == 10 and digits.startswith("9"):
        return "7" + digits
    if len(digits) < 10 or len(digits) > 15:
        return None
    return digits


def as_utc(value: datetime | None) -> datetime | None:
    """Attach UTC to a naive datetime; SQLite returns stored timestamps naive."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
