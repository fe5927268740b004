"""Building `batch` requests and reading their per-command results."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import BatchError, BitrixError, error_from_body
from .payloads import php_query

MAX_COMMANDS = 50

_KEY = re.compile(r"[A-Za-z0-9_]+")
_METHOD = re.compile(r"[A-Za-z0-9_.]+")

CommandSpec = tuple[str, Mapping[str, Any] | None] | str
Commands = Mapping[str, CommandSpec] | Sequence[CommandSpec]


@dataclasses.dataclass(frozen=True)
class PreparedBatch:
    """The `cmd` parameter of a batch plus the method behind each key."""

    cmd: dict[str, str] | list[str]
    methods: dict[Any, str]


@dataclasses.dataclass
class BatchResult:
    """Per-command outcome of one batch call, keyed as the commands were.

    A key is in exactly one of `results`, `errors` and `not_run`.
    """

    results: dict[Any, Any]
    errors: dict[Any, BitrixError]
    not_run: list[Any]
    totals: dict[Any, int]
    nexts: dict[Any, int]
    times: dict[Any, Any]

    @property
    def ok(self) -> bool:
        """True when every command ran and succeeded."""
        return not self.errors and not self.not_run

    def raise_for_errors(self) -> None:
        """Raise BatchError naming the failed and skipped keys, if there are any."""
        if not self.ok:
            raise BatchError(self.results, self.errors, self.not_run)


def prepare_batch(commands: Commands) -> PreparedBatch:
    """Validate the commands and encode each as `method?query` (PHP style).

    Raises ValueError for an empty batch, more than 50 commands, a nested
    `batch`, or a key or method name with characters Bitrix24 does not expect.
    """
    if isinstance(commands, Mapping):
        items = list(commands.items())
    else:
        items = list(enumerate(commands))

    if not items:
        raise ValueError("batch needs at least one command")
    if len(items) > MAX_COMMANDS:
        raise ValueError(
            f"batch takes at most {MAX_COMMANDS} commands, got {len(items)}"
        )

    methods: dict[Any, str] = {}
    encoded: list[tuple[Any, str]] = []
    for key, spec in items:
        method, params = _split_spec(key, spec)
        methods[key] = method
        query = php_query(dict(params)) if params else ""
        encoded.append((key, f"{method}?{query}" if query else method))

    if isinstance(commands, Mapping):
        return PreparedBatch(cmd=dict(encoded), methods=methods)
    return PreparedBatch(cmd=[command for _, command in encoded], methods=methods)


def _split_spec(key: Any, spec: CommandSpec) -> tuple[str, Mapping[str, Any] | None]:
    if isinstance(key, str) and not _KEY.fullmatch(key):
        raise ValueError(f"batch key {key!r} may contain only letters, digits and _")

    method, params = (spec, None) if isinstance(spec, str) else spec
    if not _METHOD.fullmatch(method):
        raise ValueError(f"batch command {key!r} has an invalid method {method!r}")
    if method.lower() == "batch":
        raise ValueError("a batch cannot contain another batch")
    return method, params


def parse_batch_result(payload: Any, methods: Mapping[Any, str]) -> BatchResult:
    """Read the `result` of a batch response, in either of its JSON shapes.

    PHP serialises an array with keys 0..n-1 as a JSON list and anything else,
    including numeric keys with gaps, as an object. Empty sections come as `[]`.
    """
    if not isinstance(payload, Mapping):
        raise BitrixError("batch response has no result object", method="batch")

    keys_by_text = {str(key): key for key in methods}
    results = _section(payload.get("result"), keys_by_text)
    raw_errors = _section(payload.get("result_error"), keys_by_text)
    errors = {
        key: _command_error(body, methods[key]) for key, body in raw_errors.items()
    }
    not_run = [key for key in methods if key not in results and key not in errors]

    return BatchResult(
        results=results,
        errors=errors,
        not_run=not_run,
        totals=_section(payload.get("result_total"), keys_by_text),
        nexts=_section(payload.get("result_next"), keys_by_text),
        times=_section(payload.get("result_time"), keys_by_text),
    )


def _section(section: Any, keys_by_text: Mapping[str, Any]) -> dict[Any, Any]:
    if section is None:
        return {}
    items = section.items() if isinstance(section, Mapping) else enumerate(section)
    mapped: dict[Any, Any] = {}
    for raw_key, value in items:
        key = keys_by_text.get(str(raw_key))
        if key is None:
            raise BitrixError(f"batch response names unknown command {raw_key!r}")
        mapped[key] = value
    return mapped


def _command_error(body: Any, method: str) -> BitrixError:
    if not isinstance(body, Mapping):
        body = {"error": "", "error_description": str(body)}
    return error_from_body(dict(body), status=None, method=method)
