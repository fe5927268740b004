"""The filters every figure accepts: term, university, employer, internship, dates."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from b24app.web.params import MAX_ID, positive_int

FILTER_FIELDS = (
    "term_id",
    "university_id",
    "employer_id",
    "internship_id",
    "date_from",
    "date_to",
)


@dataclass(frozen=True)
class Filters:
    """A figure's scope; None means no restriction.

    `date_from` and `date_to` are whole days in UTC, both included, applied to
    the application's creation time (and, for internships, to their start date).
    """

    term_id: int | None = None
    university_id: int | None = None
    employer_id: int | None = None
    internship_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> "Filters":
        """Parse query arguments or JSON; raises ValueError naming a bad value."""
        values = values or {}
        parsed: dict[str, Any] = {}
        for name in FILTER_FIELDS:
            raw = values.get(name)
            if raw in (None, ""):
                continue
            parsed[name] = (
                _parse_date(name, raw)
                if name.startswith("date")
                else (_parse_id(name, raw))
            )

        filters = cls(**parsed)
        if (
            filters.date_from
            and filters.date_to
            and filters.date_from > filters.date_to
        ):
            raise ValueError(
                f"date_from {filters.date_from} is after date_to {filters.date_to}"
            )
        return filters

    def cache_key(self) -> str:
        """Return a canonical text form, so equal filters give equal keys."""
        parts = [f"{name}={value}" for name, value in self.to_dict().items()]
        return ";".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Return the set filters as JSON-ready values, dates as ISO strings."""
        result = {}
        for name, value in asdict(self).items():
            if value is None:
                continue
            result[name] = value.isoformat() if isinstance(value, date) else value
        return result

    def narrowed(self, **changes: Any) -> "Filters":
        return replace(self, **changes)


def _parse_id(name: str, raw: Any) -> int:
    """Return an id from a request string or a stored JSON number.

    Raises ValueError (InvalidParameter for strings) for anything but 1..MAX_ID.
    """
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= MAX_ID:
        return raw
    if isinstance(raw, str):
        return positive_int(raw, field=name)
    raise ValueError(f"invalid {name} {raw!r}: expected a positive integer")


def _parse_date(name: str, raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValueError(f"invalid {name} {raw!r}: expected YYYY-MM-DD") from None
