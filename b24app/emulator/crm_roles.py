"""CRM access roles of the emulated users: a read and a write level per entity type.

Bitrix24 applies the calling user's CRM role to every `crm.item.*` call made
with that user's token: `crm.item.get` and `crm.item.update` fail with
`ACCESS_DENIED` and `crm.item.list` leaves out what the user may not read
(api-reference/crm/universal/crm-item-get.md, crm-item-update.md and
crm-item-list.md in bitrix24/b24restdocs). A level is "all" (every record),
"own" (records whose responsible user, `ASSIGNED_BY_ID`, is the caller) or
"none". Users without a role and the portal administrators have "all".

NOTE: only `crm.item.*` apply roles; the classic `crm.deal.*`, `crm.contact.*`
and `crm.company.*` methods still return everything to every user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .users import ADMIN_USER_IDS
from .wire import RestError

LEVELS = ("all", "own", "none")
ACTIONS = ("read", "write")
# Preset roles: (read level, write level).
PRESETS = {
    "all": ("all", "all"),
    "reader": ("all", "none"),
    "own": ("own", "own"),
    "none": ("none", "none"),
}
# The documented error of a denied read and of a denied change.
READ_DENIED = ("ACCESS_DENIED", "You do not have permission to view this item")
WRITE_DENIED = ("ACCESS_DENIED", "Access denied")


@dataclass
class CrmRoles:
    """Levels per user and entity (`deal`, `contact`, `company`)."""

    grants: dict[int, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def assign(self, user_id: int, entity: str, read: str, write: str) -> None:
        """Give `user_id` the read and write levels on `entity`; raise ValueError."""
        if read not in LEVELS or write not in LEVELS:
            raise ValueError(f"unknown level {read!r}/{write!r}: use one of {LEVELS}")
        self.grants.setdefault(user_id, {})[entity] = (read, write)

    def level(self, user_id: int, entity: str, action: str) -> str:
        """Return the caller's level for `action` ("read" or "write") on `entity`."""
        if user_id in ADMIN_USER_IDS:
            return "all"
        read, write = self.grants.get(user_id, {}).get(entity, ("all", "all"))
        return read if action == "read" else write

    def allows(self, user_id: int, entity: str, action: str, row: dict) -> bool:
        """Return whether the user may `action` this stored row."""
        level = self.level(user_id, entity, action)
        if level == "own":
            return str(row.get("ASSIGNED_BY_ID")) == str(user_id)
        return level == "all"

    def require(self, user_id: int, entity: str, action: str, row: dict) -> None:
        """Raise the documented ACCESS_DENIED error unless the user may act."""
        if not self.allows(user_id, entity, action, row):
            code, text = READ_DENIED if action == "read" else WRITE_DENIED
            raise RestError(code, text, 400)

    def list_filter(
        self, user_id: int, entity: str, filters: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Return `filters` narrowed to what the user may read, or None for nothing."""
        level = self.level(user_id, entity, "read")
        if level == "none":
            return None
        if level == "all":
            return filters
        requested = filters.get("ASSIGNED_BY_ID")
        if requested is not None and str(requested) != str(user_id):
            return None
        return {**filters, "ASSIGNED_BY_ID": user_id}

    def describe(self) -> dict[str, dict[str, dict[str, str]]]:
        """Return the roles as JSON: user id, entity, then read and write levels."""
        return {
            str(user_id): {
                entity: {"read": read, "write": write}
                for entity, (read, write) in entities.items()
            }
            for user_id, entities in self.grants.items()
        }
