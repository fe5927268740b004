"""The app manifest: scopes, handler paths, events and placements, from JSON.

`manifest/app.json` is the one place that lists what the app registers in a
portal. The install flow binds what it names, and `b24app manifest` prints the
values an administrator types into the local-app form or the Market version card.
"""

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "manifest" / "app.json"

HANDLER_KINDS = ("app", "install", "events")
LANGUAGES = ("ru", "en")
EVENT_NAME = re.compile(r"^ON[A-Z0-9_]+$")
PLACEMENT_CODE = re.compile(r"^[A-Z][A-Z0-9_]+$")
SCOPE_NAME = re.compile(r"^[a-z][a-z0-9_.]*$")

# `basic` is granted to every application (event.*, app.info), so it is never
# listed in the form and never missing from a token's scope list.
IMPLICIT_SCOPES = frozenset({"basic"})


class ManifestError(ValueError):
    """The manifest file is missing a key or holds a value of the wrong form."""


@dataclass(frozen=True)
class PlacementSpec:
    """One widget the app registers with `placement.bind`."""

    placement: str
    handler: str
    title: dict[str, str]


@dataclass(frozen=True)
class Manifest:
    """The validated content of `manifest/app.json`."""

    code: str
    version: int
    title: dict[str, str]
    scopes: tuple[str, ...]
    handlers: dict[str, str]
    events: tuple[str, ...]
    placements: tuple[PlacementSpec, ...]

    @property
    def required_scopes(self) -> frozenset[str]:
        """Scopes a token must carry; the implicit `basic` scope is left out."""
        return frozenset(self.scopes) - IMPLICIT_SCOPES

    def handler_url(self, app_url: str, kind: str) -> str:
        """Return the absolute URL of handler `kind` under the app's base URL."""
        return join_url(app_url, self.handlers[kind])

    def placement_url(self, app_url: str, spec: PlacementSpec) -> str:
        return join_url(app_url, spec.handler)


def join_url(base: str, path: str) -> str:
    """Append an absolute path to a base URL that may carry a path prefix."""
    return base.rstrip("/") + path


def load_manifest(path: str | Path | None = None) -> Manifest:
    """Read and validate the manifest at `path` (the packaged one by default)."""
    return _load_cached(str(path or DEFAULT_PATH))


def current_manifest() -> Manifest:
    """Return the manifest the running app is configured with."""
    return load_manifest(current_app.config.get("B24_MANIFEST_PATH"))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Manifest:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"manifest file {path} not found") from None
    except json.JSONDecodeError as error:
        raise ManifestError(
            f"manifest file {path} is not valid JSON: {error}"
        ) from None
    if not isinstance(raw, dict):
        raise ManifestError(f"manifest file {path} must hold a JSON object")
    return parse_manifest(raw)


def parse_manifest(raw: dict[str, Any]) -> Manifest:
    """Validate a decoded manifest and build a `Manifest`; raises ManifestError."""
    code = _require(raw, "code", str)
    version = _require(raw, "version", int)
    if version < 1:
        raise ManifestError("manifest 'version' must be a positive integer")

    return Manifest(
        code=code,
        version=version,
        title=_titles(raw.get("title"), "title"),
        scopes=_scopes(_require(raw, "scopes", list)),
        handlers=_handlers(_require(raw, "handlers", dict)),
        events=_events(_require(raw, "events", list)),
        placements=_placements(raw.get("placements", [])),
    )


def _require(raw: dict[str, Any], key: str, kind: type) -> Any:
    if key not in raw:
        raise ManifestError(f"manifest is missing the key {key!r}")
    value = raw[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ManifestError(f"manifest key {key!r} must be a {kind.__name__}")
    return value


def _scopes(values: list[Any]) -> tuple[str, ...]:
    if not values:
        raise ManifestError("manifest 'scopes' must list at least one scope")
    for value in values:
        if not isinstance(value, str) or not SCOPE_NAME.match(value):
            raise ManifestError(f"invalid scope {value!r} in manifest 'scopes'")
    return _unique(values, "scopes")


def _handlers(values: dict[str, Any]) -> dict[str, str]:
    handlers = {}
    for kind in HANDLER_KINDS:
        handlers[kind] = _path(values.get(kind), f"handlers.{kind}")
    return handlers


def _events(values: list[Any]) -> tuple[str, ...]:
    for value in values:
        if not isinstance(value, str) or not EVENT_NAME.match(value):
            raise ManifestError(
                f"invalid event name {value!r}: use the upper-case code, e.g. "
                "ONCRMDEALADD"
            )
    return _unique(values, "events")


def _placements(values: Any) -> tuple[PlacementSpec, ...]:
    if not isinstance(values, list):
        raise ManifestError("manifest 'placements' must be a list")

    specs = []
    for index, value in enumerate(values):
        where = f"placements[{index}]"
        if not isinstance(value, dict):
            raise ManifestError(f"manifest {where} must be an object")
        code = value.get("placement")
        if not isinstance(code, str) or not PLACEMENT_CODE.match(code):
            raise ManifestError(f"invalid placement code {code!r} in {where}")
        if code == "DEFAULT":
            # DEFAULT is the main app page set in the app form; placement.bind
            # rejects it.
            raise ManifestError(f"{where}: DEFAULT cannot be bound, use handlers.app")
        specs.append(
            PlacementSpec(
                placement=code,
                handler=_path(value.get("handler"), f"{where}.handler"),
                title=_titles(value.get("title"), f"{where}.title"),
            )
        )

    _unique([spec.placement for spec in specs], "placements")
    return tuple(specs)


def _titles(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ManifestError(f"manifest {where} must be an object with ru and en")
    for language in LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            raise ManifestError(f"manifest {where} is missing the {language!r} text")
    return {key: str(text) for key, text in value.items()}


def _path(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.startswith("/") or "//" in value:
        raise ManifestError(
            f"manifest {where} must be a path starting with '/', got {value!r}"
        )
    return value


def _unique(values: list[str], where: str) -> tuple[str, ...]:
    if len(set(values)) != len(values):
        raise ManifestError(f"manifest {where!r} lists a value twice")
    return tuple(values)
