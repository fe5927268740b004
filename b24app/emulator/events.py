"""Event bindings, the offline event queue and one-shot delivery to handlers."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import queue
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from .wire import RestError, iso, now

logger = logging.getLogger(__name__)

CRM_EVENTS = {
    f"ONCRM{entity}{action}"
    for entity in ("DEAL", "CONTACT", "COMPANY", "LEAD")
    for action in ("ADD", "UPDATE", "DELETE")
}
APP_EVENTS = {
    "ONAPPINSTALL",
    "ONAPPUPDATE",
    "ONAPPUNINSTALL",
    "ONAPPTEST",
    "ONAPPPAYMENT",
}
KNOWN_EVENTS = CRM_EVENTS | APP_EVENTS | {"ONCRMDEALMOVETOCATEGORY", "ONOFFLINEEVENT"}


@dataclass
class Binding:
    """One `event.bind` registration."""

    binding_id: int
    event: str
    handler: str
    auth_type: int
    offline: bool
    auth_connector: str = ""


@dataclass
class OfflineRow:
    """One queued offline event as `event.offline.get` returns it."""

    row_id: int
    event: str
    data: dict[str, Any]
    user_id: int | None
    message_id: str
    timestamp: str
    process_id: str | None = None
    error: bool = False
    connector: str = ""


@dataclass
class Delivery:
    """Log entry of one POST to a handler."""

    event: str
    handler: str
    status: int | None = None
    error: str | None = None


class EventBus:
    """Bindings and queues; the portal lock guards bindings and the offline queue."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.bindings: list[Binding] = []
        self.offline: list[OfflineRow] = []
        self.deliveries: list[Delivery] = []
        self._binding_ids = itertools.count(1)
        self._offline_ids = itertools.count(1)
        self._queues: dict[
            str, queue.Queue[tuple[str, list[tuple[str, str]]] | None]
        ] = {}
        self._queues_lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition()

    # -- bindings ------------------------------------------------------------

    def bind(
        self,
        event: str,
        handler: str,
        auth_type: int,
        offline: bool,
        connector: str = "",
    ) -> Binding:
        """Register a handler; a second identical registration is an error."""
        event = event.upper()
        if event not in KNOWN_EVENTS:
            raise RestError("ERROR_EVENT_NOT_FOUND", "Event not found")
        if not offline:
            parts = urlsplit(handler)
            if parts.scheme not in {"http", "https"}:
                raise RestError(
                    "ERROR_UNSUPPORTED_PROTOCOL", "Unsupported event handler protocol"
                )
            if not parts.hostname:
                raise RestError("ERROR_WRONG_HANDLER_URL", "Wrong handler URL")
        else:
            handler = ""
        for existing in self.bindings:
            if (
                existing.event,
                existing.handler,
                existing.auth_type,
                existing.offline,
                existing.auth_connector,
            ) == (event, handler, auth_type, offline, connector):
                raise RestError(
                    "ERROR_CORE", "Unable to set event handler: Handler already binded"
                )
        binding = Binding(
            next(self._binding_ids), event, handler, auth_type, offline, connector
        )
        self.bindings.append(binding)
        return binding

    def unbind(
        self, event: str, handler: str, auth_type: int | None, offline: bool
    ) -> int:
        """Remove matching bindings and return how many were removed."""
        event = event.upper()
        keep, removed = [], 0
        for binding in self.bindings:
            same = (
                binding.event == event
                and binding.offline == offline
                and (offline or not handler or binding.handler == handler)
                and (auth_type is None or binding.auth_type == auth_type)
            )
            if same:
                removed += 1
            else:
                keep.append(binding)
        self.bindings = keep
        return removed

    def online_for(self, event: str) -> list[Binding]:
        """Return the online bindings of an event."""
        return [
            item for item in self.bindings if item.event == event and not item.offline
        ]

    # -- offline queue -------------------------------------------------------

    def enqueue_offline(
        self, event: str, data: dict[str, Any], user_id: int | None, connector: str
    ) -> None:
        """Queue an offline event, replacing an unread row with the same MESSAGE_ID."""
        subscribers = [
            item for item in self.bindings if item.event == event and item.offline
        ]
        for binding in subscribers:
            if connector and binding.auth_connector == connector:
                continue
            digest = hashlib.md5(
                (event + json.dumps(data, sort_keys=True)).encode(),
                usedforsecurity=False,
            ).hexdigest()
            self.offline = [
                row
                for row in self.offline
                if row.message_id != digest or row.process_id is not None
            ]
            self.offline.append(
                OfflineRow(
                    next(self._offline_ids),
                    event,
                    data,
                    user_id,
                    digest,
                    iso(now()),
                    connector=binding.auth_connector,
                )
            )

    def take_offline(
        self,
        limit: int,
        clear: bool,
        process_id: str | None,
        error: bool,
        connector: str,
    ) -> tuple[str | None, list[OfflineRow]]:
        """Select rows for `event.offline.get`; delete them on clear, else reserve."""
        if process_id:
            rows = [row for row in self.offline if row.process_id == process_id]
        else:
            rows = [
                row
                for row in self.offline
                if row.process_id is None
                and row.error == error
                and row.connector == connector
            ]
        rows = rows[:limit]
        if clear:
            chosen = {id(row) for row in rows}
            self.offline = [row for row in self.offline if id(row) not in chosen]
            return None, rows
        new_process = process_id or secrets.token_hex(16)
        for row in rows:
            row.process_id = new_process
        return new_process, rows

    # -- delivery ------------------------------------------------------------

    def deliver(self, handler: str, event: str, pairs: list[tuple[str, str]]) -> None:
        """Queue one POST; a per-handler worker keeps the order and never retries."""
        with self._queues_lock:
            work = self._queues.get(handler)
            if work is None:
                work = queue.Queue()
                self._queues[handler] = work
                threading.Thread(
                    target=self._worker,
                    args=(handler, work),
                    daemon=True,
                    name="b24emu-events",
                ).start()
        with self._idle:
            self._pending += 1
        work.put((event, pairs))

    def _worker(self, handler: str, work: queue.Queue) -> None:
        while True:
            item = work.get()
            if item is None:
                return
            event, pairs = item
            record = Delivery(event, handler)
            try:
                response = requests.post(
                    handler, data=pairs, timeout=self.timeout, allow_redirects=False
                )
                record.status = response.status_code
            except requests.RequestException as exc:
                record.error = type(exc).__name__
                logger.warning(
                    "Event %s delivery to %s failed: %s",
                    event,
                    handler,
                    type(exc).__name__,
                )
            self.deliveries.append(record)
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery was attempted; return False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def stop(self) -> None:
        """Stop the delivery workers."""
        with self._queues_lock:
            for work in self._queues.values():
                work.put(None)
            self._queues.clear()
