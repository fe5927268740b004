"""Decode and check one event delivery, before anything is stored.

Bitrix24 posts events as `application/x-www-form-urlencoded` with PHP-style
bracketed keys (`auth[member_id]`, `data[FIELDS][ID]`). Every failure here is a
`RejectedEvent` whose reason names the check; the view turns it into a 4xx.
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from b24app.bitrix import parse_php_form
from b24app.bitrix.payloads import MAX_KEYS

# Auth keys that are credentials: never stored, never logged.
SECRET_AUTH_KEYS = frozenset({"access_token", "refresh_token", "application_token"})

ENTITY_PREFIXES = (
    ("ONCRMDYNAMICITEM", "dynamic"),
    ("ONCRMDEAL", "deal"),
    ("ONCRMCONTACT", "contact"),
    ("ONCRMCOMPANY", "company"),
    ("ONCRMLEAD", "lead"),
)
EVENT_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
TIMESTAMP = re.compile(r"[0-9]{1,10}")
MAX_INT32 = 2**31 - 1


class RejectedEvent(Exception):
    """An event delivery failed a check; `status` is the HTTP response status."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class EventDelivery:
    """A decoded delivery: upper-case event name, member id, token, payload."""

    event: str
    member_id: str
    application_token: str
    payload: dict[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        data = self.payload.get("data")
        return data if isinstance(data, dict) else {}

    @property
    def has_user_token(self) -> bool:
        """False for system events (robots, workflows): auth has no access_token."""
        return bool(self.payload["auth"].get("access_token"))


def decode_body(body: bytes) -> dict[str, Any]:
    """Decode a form body into nested dicts; raise RejectedEvent if malformed."""
    try:
        text = body.decode("ascii")
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_KEYS,
        )
        if any("\x00" in key or "\x00" in value for key, value in pairs):
            raise ValueError("U+0000 in the form")
        return parse_php_form(pairs)
    except ValueError:
        # UnicodeDecodeError is a ValueError too: bytes outside ASCII in the
        # body, or percent-escapes that are not UTF-8. U+0000 is rejected
        # because PostgreSQL text cannot hold it and no genuine event has it.
        raise RejectedEvent("malformed_body") from None


def read_delivery(payload: dict[str, Any]) -> EventDelivery:
    """Check the envelope fields every event has; raise RejectedEvent if missing."""
    event = payload.get("event")
    auth = payload.get("auth")
    if not isinstance(event, str) or not EVENT_NAME.fullmatch(event):
        raise RejectedEvent("missing_event")
    if not isinstance(auth, dict):
        raise RejectedEvent("missing_auth")

    member_id = auth.get("member_id")
    token = auth.get("application_token")
    if not isinstance(member_id, str) or not member_id or len(member_id) > 64:
        raise RejectedEvent("missing_member_id")
    if not isinstance(token, str) or not token:
        raise RejectedEvent("missing_application_token")
    if not all(isinstance(value, str) for value in auth.values()):
        # `auth[access_token][]=x` would otherwise be stored as "['x']".
        raise RejectedEvent("malformed_auth")

    return EventDelivery(event.upper(), member_id, token, payload)


def stored_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Return the payload without credentials, for the inbox."""
    cleaned = {key: value for key, value in payload.items() if key != "auth"}
    auth = payload.get("auth") if isinstance(payload.get("auth"), dict) else {}
    cleaned["auth"] = {
        key: value for key, value in auth.items() if key not in SECRET_AUTH_KEYS
    }
    return cleaned


def entity_of(event: str, data: dict[str, Any]) -> tuple[str, str]:
    """Return (entity type, entity id) of a CRM event, or ("", "")."""
    fields = data.get("FIELDS") if isinstance(data.get("FIELDS"), dict) else {}
    entity_id = str(fields.get("ID") or "")[:32]
    for prefix, entity_type in ENTITY_PREFIXES:
        if event.startswith(prefix):
            if entity_type == "dynamic":
                type_id = str(fields.get("ENTITY_TYPE_ID") or "")
                entity_type = f"dynamic:{type_id}" if type_id else entity_type
            return entity_type, entity_id
    return "", entity_id


def event_time(payload: dict[str, Any]) -> int | None:
    """Return `ts`, the Unix time the portal sent the event, or None if invalid.

    The inbox column is a 32-bit integer, so a time past 2038-01-19 is None;
    the dedupe key keeps the text either way.
    """
    ts = payload.get("ts")
    if not isinstance(ts, str) or not TIMESTAMP.fullmatch(ts):
        return None
    value = int(ts)
    return value if value <= MAX_INT32 else None


def dedupe_key(delivery: EventDelivery, entity_id: str) -> str:
    """Key of a delivery: event, entity id, send time and handler binding id."""
    ts = str(delivery.payload.get("ts") or "")[:20]
    handler_id = str(delivery.payload.get("event_handler_id") or "")[:20]
    return f"{delivery.event}:{entity_id}:{ts}:{handler_id}"[:200]
