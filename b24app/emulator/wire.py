"""Wire formats of a Bitrix24 portal: PHP-style JSON, the time block, errors, params."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Response

# Portal time zone. Real portals format dates in their configured offset.
PORTAL_TZ = timezone(timedelta(hours=3))


class RestError(Exception):
    """A REST error sent as `{"error": ..., "error_description": ...}`."""

    def __init__(
        self,
        error: str,
        description: str,
        status: int = 400,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{error or '(empty)'}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """Return the documented error body."""
        return {
            "error": self.error,
            "error_description": self.description,
            **self.extra,
        }


def not_found_legacy() -> RestError:
    """Return the error of old crm.deal/contact/company methods for a missing id."""
    return RestError("", "Not found", 400)


def iso(moment: datetime | None) -> str | None:
    """Format as ISO 8601 with the portal offset (2026-12-04T10:00:00+03:00)."""
    if moment is None:
        return None
    return moment.astimezone(PORTAL_TZ).replace(microsecond=0).isoformat()


def now() -> datetime:
    """Return the current time in the portal time zone."""
    return datetime.now(PORTAL_TZ)


def parse_datetime(value: Any) -> datetime | None:
    """Parse ISO, `Y-m-d H:i:s` or `d.m.Y` dates to an aware datetime."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    for fmt in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=PORTAL_TZ)
        except ValueError:
            pass
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PORTAL_TZ)
    return parsed


def time_block(
    started: float, operating: float | None = None, reset_at: int | None = None
) -> dict[str, Any]:
    """Build the `time` object that every successful response contains."""
    finished = time.time()
    block: dict[str, Any] = {
        "start": started,
        "finish": finished,
        "duration": finished - started,
        "processing": finished - started,
        "date_start": iso(datetime.fromtimestamp(started, PORTAL_TZ)),
        "date_finish": iso(datetime.fromtimestamp(finished, PORTAL_TZ)),
    }
    if operating is not None:
        block["operating"] = operating
    if reset_at is not None:
        block["operating_reset_at"] = reset_at
    return block


def php_value(value: Any) -> Any:
    """Convert a value as PHP's json_encode treats arrays: `{}` becomes `[]`."""
    if isinstance(value, dict):
        if not value:
            return []
        return {str(key): php_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [php_value(item) for item in value]
    return value


def php_array(section: dict[str, Any]) -> Any:
    """Return a dict keyed 0..n-1 as a JSON list, as PHP encodes such arrays."""
    keys = list(section)
    if keys == [str(index) for index in range(len(keys))]:
        return [section[key] for key in keys]
    return section


def php_json_response(payload: Any, status: int = 200) -> Response:
    """Serialise like PHP: `\\/` for `/`, `\\uXXXX` for non-ASCII, `[]` for `{}`."""
    text = json.dumps(php_value(payload), ensure_ascii=True, separators=(",", ":"))
    text = text.replace("/", "\\/")
    return Response(text, status=status, mimetype="application/json")


def error_response(error: RestError) -> Response:
    """Build the response of a REST error: its HTTP status and no `time` block."""
    return php_json_response(error.body(), error.status)


def parse_php_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn PHP bracket keys (`fields[TITLE]`, `select[]`) into nested dicts and lists.

    Every scalar stays a string, as in PHP. `a[]` appends; numeric keys stay dict keys,
    and callers use `as_list` where a list is expected.
    """
    result: dict[str, Any] = {}
    for raw_key, value in pairs:
        path = _split_bracket_key(raw_key)
        if not path:
            continue
        _assign_path(result, path, value)
    return result


def _split_bracket_key(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    path = [head]
    rest = "[" + rest
    while rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            break
        path.append(rest[1:end])
        rest = rest[end + 1 :]
    return path


def _assign_path(target: dict[str, Any], path: list[str], value: str) -> None:
    node: Any = target
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if isinstance(node, list):
            if last:
                node.append(value)
                return
            child: Any = [] if path[index + 1] == "" else {}
            node.append(child)
            node = child
            continue
        if last:
            node[part] = value
            return
        if part == "" and not isinstance(node, list):
            part = str(len(node))
        nxt = path[index + 1]
        if part not in node or not isinstance(node[part], dict | list):
            node[part] = [] if nxt == "" else {}
        node = node[part]


def as_list(value: Any) -> list[Any]:
    """Return the values of a PHP array sent as a list or as an index-keyed dict."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def get_ci(mapping: Any, name: str, default: Any = None) -> Any:
    """Look up a parameter ignoring case, as the portal treats `ID` and `id` alike."""
    if not isinstance(mapping, dict):
        return default
    if name in mapping:
        return mapping[name]
    lowered = name.lower()
    for key, value in mapping.items():
        if key.lower() == lowered:
            return value
    return default


def flag(value: Any) -> str:
    """Normalise a client boolean to the portal's `Y`/`N`."""
    text = str(value).strip().upper()
    return "Y" if text in {"Y", "1", "TRUE", "YES", "ON"} else "N"
