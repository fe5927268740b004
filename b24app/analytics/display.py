"""Chart table cells in the user's language: numbers, percentages and blanks."""

from __future__ import annotations

from flask_babel import format_decimal, format_number, format_percent

# Cells of these columns are fractions of 1 that read as percentages.
PERCENT_KEYS = frozenset({"conversion_from_previous", "conversion_from_start"})
EMPTY_CELL = "—"


def format_cell(value: object, key: str) -> str:
    """Format one chart table cell for the locale of the current request."""
    if value is None or value == "":
        return EMPTY_CELL
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)

    if key in PERCENT_KEYS:
        return format_percent(value)
    if isinstance(value, int):
        return format_number(value)
    return format_decimal(value, format="#,##0.#")
