"""The `batch` method: up to 50 commands run in order with `$result[...]` references."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qsl

from .dispatch import run_method
from .methods.registry import Call, method
from .wire import RestError, get_ci, parse_php_pairs, php_array

MAX_COMMANDS = 50
_REFERENCE = re.compile(r"\$result\[([^\]]+)\]((?:\[[^\]]*\])*)")


def _resolve(results: dict[str, Any], key: str, path: str) -> Any:
    value: Any = results.get(key)
    for segment in re.findall(r"\[([^\]]*)\]", path):
        if isinstance(value, list):
            try:
                value = value[int(segment)]
            except (ValueError, IndexError):
                return None
        elif isinstance(value, dict):
            value = get_ci(value, segment)
        else:
            return None
    return value


def _substitute(value: Any, results: dict[str, Any]) -> Any:
    """Replace `$result[key][path]` in values; a whole-value reference keeps its type.

    NOTE: the docs do not say what a reference to a missing path becomes; here it is "".
    """
    if isinstance(value, dict):
        return {key: _substitute(item, results) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, results) for item in value]
    if not isinstance(value, str) or "$result[" not in value:
        return value
    whole = _REFERENCE.fullmatch(value)
    if whole:
        resolved = _resolve(results, whole.group(1), whole.group(2))
        return "" if resolved is None else resolved

    def replace(match: re.Match[str]) -> str:
        resolved = _resolve(results, match.group(1), match.group(2))
        return "" if resolved is None else str(resolved)

    return _REFERENCE.sub(replace, value)


def _commands(call: Call) -> list[tuple[str, str]]:
    raw = call.get("cmd")
    if isinstance(raw, list):
        return [(str(index), str(value)) for index, value in enumerate(raw)]
    if isinstance(raw, dict):
        return [(str(key), str(value)) for key, value in raw.items()]
    return []


@method("batch")
def batch(call: Call) -> dict[str, Any]:
    """Run commands in order; failures go to `result_error`; `halt` stops at one."""
    commands = _commands(call)
    if len(commands) > MAX_COMMANDS:
        raise RestError("ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded", 400)
    halt = str(call.get("halt", "0")).lower() in {"1", "true", "y"}
    sections: dict[str, dict[str, Any]] = {
        "result": {},
        "result_error": {},
        "result_total": {},
        "result_next": {},
        "result_time": {},
    }
    for key, command in commands:
        name, _, query = command.partition("?")
        params = parse_php_pairs(parse_qsl(query, keep_blank_values=True))
        params = {
            str(k).lower(): v
            for k, v in _substitute(params, sections["result"]).items()
        }
        params.pop("auth", None)
        try:
            if name.strip().lower() == "batch":
                raise RestError(
                    "ERROR_BATCH_METHOD_NOT_ALLOWED",
                    "Method is not allowed for batch usage",
                    405,
                )
            envelope = run_method(
                call.state, call.caller, name.strip(), params, time.time()
            )
        except RestError as exc:
            sections["result_error"][key] = exc.body()
            if halt:
                break
            continue
        sections["result"][key] = envelope["result"]
        sections["result_time"][key] = envelope["time"]
        if "total" in envelope:
            sections["result_total"][key] = envelope["total"]
        if "next" in envelope:
            sections["result_next"][key] = envelope["next"]
    return {
        name: php_array(section) if section else []
        for name, section in sections.items()
    }
