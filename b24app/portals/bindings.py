"""Bind the manifest's events and placements in a portal, idempotently.

`event.get` and `placement.get` list only this app's own registrations, so any
online one that is not exactly what the manifest asks for (an old app URL, an
event or a widget the manifest dropped) is removed, and the missing ones are
added. Binding twice answers "Handler already binded", which counts as success.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from b24app.bitrix import BitrixError
from b24app.portals.manifest import Manifest

log = logging.getLogger(__name__)


@dataclass
class BindingReport:
    """The changes `bind_manifest` made in one portal."""

    bound_events: list[str] = field(default_factory=list)
    unbound_events: list[str] = field(default_factory=list)
    bound_placements: list[str] = field(default_factory=list)
    unbound_placements: list[str] = field(default_factory=list)


def is_already_bound(error: BitrixError) -> bool:
    """Return whether `error` is the "Handler already binded" error."""
    return "already bind" in (error.description or "").lower()


def bind_manifest(client: Any, manifest: Manifest, app_url: str) -> BindingReport:
    """Make the portal's bindings match the manifest under `app_url`.

    Raises BitrixError for any call that fails for another reason than an
    existing identical binding.
    """
    report = BindingReport()
    events_url = manifest.handler_url(app_url, "events")
    wanted_events = {event: events_url for event in manifest.events}
    sync_events(client, wanted_events, report)

    wanted_placements = {
        spec.placement: (manifest.placement_url(app_url, spec), spec)
        for spec in manifest.placements
    }
    sync_placements(client, wanted_placements, report)

    return report


def sync_events(client: Any, wanted: dict[str, str], report: BindingReport) -> None:
    present = set()
    for item in client.call("event.get").result or []:
        event = str(item.get("event", "")).upper()
        handler = str(item.get("handler", ""))
        if str(item.get("offline", "0")) in ("1", "Y", "true"):
            continue
        if wanted.get(event) == handler:
            present.add(event)
            continue

        client.call("event.unbind", {"event": event, "handler": handler})
        report.unbound_events.append(event)
        log.info("unbound stale handler of %s", event)

    for event, handler in wanted.items():
        if event in present:
            continue
        try:
            client.call("event.bind", {"event": event, "handler": handler})
        except BitrixError as error:
            if not is_already_bound(error):
                raise
        report.bound_events.append(event)


def sync_placements(
    client: Any, wanted: dict[str, tuple[str, Any]], report: BindingReport
) -> None:
    present = set()
    for item in client.call("placement.get").result or []:
        code = str(item.get("placement", "")).upper()
        handler = str(item.get("handler", ""))
        if code in wanted and wanted[code][0] == handler:
            present.add(code)
            continue

        client.call("placement.unbind", {"PLACEMENT": code, "HANDLER": handler})
        report.unbound_placements.append(code)
        log.info("unbound stale widget %s", code)

    for code, (handler, spec) in wanted.items():
        if code in present:
            continue
        params = {
            "PLACEMENT": code,
            "HANDLER": handler,
            "TITLE": spec.title.get("en", ""),
            "LANG_ALL": {
                language: {"TITLE": title} for language, title in spec.title.items()
            },
        }
        try:
            client.call("placement.bind", params)
        except BitrixError as error:
            if not is_already_bound(error):
                raise
        report.bound_placements.append(code)
