"""Small HTMX helpers: request detection, layouts and response headers."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request

# The vendored htmx build; `static/vendor/htmx-<version>.min.js` must exist.
HTMX_VERSION = "2.0.11"
HTMX_SCRIPT = f"vendor/htmx-{HTMX_VERSION}.min.js"

FULL_LAYOUT = "base.html"
FRAGMENT_LAYOUT = "_fragment.html"
# htmx stops polling an element when a response has this status.
STOP_POLLING_STATUS = 286


def is_htmx_request() -> bool:
    """Return whether htmx sent this request (it sets `HX-Request: true`)."""
    return request.headers.get("HX-Request") == "true"


def page_layout() -> str:
    """Return the layout a template extends: the full page, or only the fragment.

    Templates start with `{% extends layout %}`, so one template serves both a
    normal request and an htmx swap.
    """
    return FRAGMENT_LAYOUT if is_htmx_request() else FULL_LAYOUT


def hx_trigger(response: Response, event: str, detail: Any = None) -> Response:
    """Add `event` to the `HX-Trigger` header, keeping events already set."""
    events: dict[str, Any] = {}
    existing = response.headers.get("HX-Trigger")
    if existing:
        try:
            events = json.loads(existing)
        except ValueError:
            events = {name.strip(): None for name in existing.split(",")}
    events[event] = detail
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def hx_redirect(response: Response, url: str) -> Response:
    """Ask htmx to load `url` as a full page instead of swapping."""
    response.headers["HX-Redirect"] = url
    return response


def stop_polling(response: Response) -> Response:
    """Mark a polling fragment as final, so htmx stops asking."""
    response.status_code = STOP_POLLING_STATUS
    return response


def add_vary(response: Response, header: str = "HX-Request") -> Response:
    """Add `header` to `Vary`, because the same URL returns a page or a fragment."""
    response.vary.add(header)
    return response
