"""The filters every figure accepts: term, university, employer, internship, dates."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

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
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValueError(
            f"invalid {name} {raw!r}: expected a positive integer"
        ) from None
    if value < 1:
        raise ValueError(f"invalid {name} {raw!r}: expected a positive integer")
    return value


def _parse_date(name: str, raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValueError(f"invalid {name} {raw!r}: expected YYYY-MM-DD") from None
