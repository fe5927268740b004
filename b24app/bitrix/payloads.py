"""PHP-style form encoding: bracketed keys in and out.

Bitrix24 is written in PHP, so its form bodies and the command strings inside a
`batch` use PHP's nested-key syntax (`fields[TITLE]=x`, `select[]=ID`). The
event intake and the frame handlers decode such bodies with `parse_php_form`;
the client encodes batch commands with `php_query`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote_plus

MAX_DEPTH = 8
# PHP's default `max_input_vars`, the limit a real Bitrix24 handler would have.
MAX_KEYS = 1000

_NAME = re.compile(r"[^\[\]]+")
_SUBKEY = re.compile(r"\[([^\[\]]*)\]")


def php_query(params: Mapping[str, Any] | list[Any]) -> str:
    """Encode `params` the way PHP's `http_build_query` does.

    Keys and values are percent-encoded with `quote_plus` (brackets included),
    True and False become "1" and "0" as in PHP. Two cases differ from PHP on
    purpose, because dropping a filter value would widen the filter: None is sent
    as an empty string, and an empty list or dict as `key[]=`.
    """
    pairs: list[str] = []
    items = params.items() if isinstance(params, Mapping) else enumerate(params)
    for key, value in items:
        _encode_into(pairs, str(key), value)
    return "&".join(pairs)


def _encode_into(pairs: list[str], key: str, value: Any) -> None:
    if isinstance(value, Mapping | list | tuple):
        if not value:
            pairs.append(f"{quote_plus(key + '[]')}=")
            return
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        for inner_key, inner_value in items:
            _encode_into(pairs, f"{key}[{inner_key}]", inner_value)
        return

    pairs.append(f"{quote_plus(key)}={quote_plus(_scalar_text(key, value))}")


def _scalar_text(key: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} value of {key!r}")


def parse_php_form(
    pairs: Iterable[tuple[str, str]],
    *,
    max_depth: int = MAX_DEPTH,
    max_keys: int = MAX_KEYS,
) -> dict[str, Any]:
    """Turn bracketed form keys into nested dicts, as PHP fills `$_POST`.

    `pairs` is what `request.form.items(multi=True)` or `parse_qsl` returns.
    Values stay strings; a container filled only by `key[]=` pushes becomes a
    list. Raises ValueError for a malformed key, nesting deeper than
    `max_depth`, more than `max_keys` pairs, or a key used both as a value and
    as a container.
    """
    root = _Node()
    for count, (key, value) in enumerate(pairs, start=1):
        if count > max_keys:
            raise ValueError(f"form has more than {max_keys} fields")
        path = _split_key(key, max_depth)
        _store(root, path, value, key)
    return root.export()


def _split_key(key: str, max_depth: int) -> list[str | None]:
    """Split `a[b][]` into ["a", "b", None]; None marks an append."""
    name_match = _NAME.match(key)
    if name_match is None:
        raise ValueError(f"malformed form key {key!r}: it must start with a name")

    path: list[str | None] = [name_match.group(0)]
    position = name_match.end()
    while position < len(key):
        subkey_match = _SUBKEY.match(key, position)
        if subkey_match is None:
            raise ValueError(f"malformed form key {key!r}: unbalanced brackets")
        path.append(subkey_match.group(1) or None)
        position = subkey_match.end()

    if len(path) - 1 > max_depth:
        raise ValueError(f"form key {key!r} is nested deeper than {max_depth} levels")
    return path


def _store(root: _Node, path: list[str | None], value: str, key: str) -> None:
    node = root
    for part in path[:-1]:
        child = node.child(part)
        if not isinstance(child, _Node):
            raise ValueError(f"form key {key!r} reuses a plain value as a container")
        node = child

    last = path[-1]
    if isinstance(node.get(last), _Node):
        raise ValueError(f"form key {key!r} overwrites a nested container")
    node.put(last, value)


class _Node:
    """A PHP array under construction: ordered keys, `[]` appends at max int + 1."""

    def __init__(self) -> None:
        self.items: dict[str, Any] = {}
        self.appended_only = True
        self.next_index = 0

    def get(self, part: str | None) -> Any:
        return None if part is None else self.items.get(part)

    def child(self, part: str | None) -> Any:
        existing = self.get(part)
        if existing is not None:
            return existing
        node = _Node()
        self.put(part, node)
        return node

    def put(self, part: str | None, value: Any) -> None:
        if part is None:
            part = str(self.next_index)
        else:
            self.appended_only = False
        if part.isdigit():
            self.next_index = max(self.next_index, int(part) + 1)
        self.items[part] = value

    def export(self) -> Any:
        exported = {
            key: value.export() if isinstance(value, _Node) else value
            for key, value in self.items.items()
        }
        if self.appended_only and exported:
            return list(exported.values())
        return exported
