"""PortalState: everything one emulated portal and its OAuth server keep in memory."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .auth import TokenStore
from .config import build_config
from .crm_data import CrmData
from .crm_roles import CrmRoles
from .events import EventBus
from .faults import FaultSet
from .limits import LeakyBucket, OperatingMeter
from .users import generated_users

logger = logging.getLogger(__name__)

ENTITY_EVENTS = {
    "deal": "ONCRMDEAL",
    "contact": "ONCRMCONTACT",
    "company": "ONCRMCOMPANY",
}


@dataclass
class Actor:
    """Author of a change: a user (events carry their token) or a robot (no tokens)."""

    user_id: int = 1
    robot: bool = False
    connector: str = ""


@dataclass
class Placement:
    """One `placement.bind` registration."""

    placement: str
    handler: str
    title: str
    description: str
    group_name: str
    options: dict[str, Any]
    lang_all: dict[str, Any]
    user_id: int = 0


@dataclass
class AppInstallation:
    """The registered app as installed on this portal."""

    installed: bool = False
    present: bool = True
    version: int = 1
    app_id: int = 7
    placements: list[Placement] = field(default_factory=list)


class PortalState:
    """One portal plus its OAuth server; every public method takes the lock itself."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = build_config(config)
        self.lock = threading.RLock()
        self.scheme = self.config["SCHEME"]
        self.domain = self.config["DOMAIN"]
        self.oauth_domain = self.domain
        self.old_domains: set[str] = set()
        self.alias_domain: str | None = None
        self.faults = FaultSet()
        self.events = EventBus(self.config["EVENT_TIMEOUT"])
        self.reset()

    # -- lifecycle -----------------------------------------------------------

    def reset(self) -> None:
        """Drop all data, tokens, bindings and limits; keep addresses and config."""
        with self.lock:
            cfg = self.config
            self.tokens = TokenStore(
                cfg["ACCESS_TOKEN_TTL"], cfg["REFRESH_TOKEN_TTL"], cfg["AUTH_CODE_TTL"]
            )
            self.crm = CrmData()
            self.users = generated_users()
            self.crm_roles = CrmRoles()
            self.app = AppInstallation(version=int(cfg["APP_VERSION"]))
            self.events.bindings.clear()
            self.events.offline.clear()
            self.events.deliveries.clear()
            self.faults.clear()
            self.set_rate_limit(cfg["RATE_LIMIT"])
            self.operating = OperatingMeter(cfg["OPERATING_LIMIT"])

    def set_addresses(
        self, scheme: str, domain: str, alias_domain: str | None = None
    ) -> None:
        """Set where the portal listens; the OAuth server shares the first address."""
        with self.lock:
            self.scheme = scheme
            self.domain = domain
            self.oauth_domain = domain
            self.alias_domain = alias_domain

    def set_rate_limit(self, spec: dict[str, float] | None) -> None:
        """Replace the leaky bucket; None turns rate limiting off."""
        with self.lock:
            self.bucket = (
                None
                if spec is None
                else LeakyBucket(float(spec["burst"]), float(spec["rate"]))
            )

    def rename(self, new_domain: str | None = None) -> str:
        """Move the portal to a new host; REST calls to the old host then get a 302."""
        with self.lock:
            target = new_domain or self.alias_domain
            if not target or target == self.domain:
                raise ValueError(
                    "rename needs a new domain different from the current one"
                )
            self.old_domains.add(self.domain)
            self.old_domains.discard(target)
            self.domain = target
            return target

    # -- addresses -----------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return the portal's current base URL."""
        return f"{self.scheme}://{self.domain}"

    @property
    def client_endpoint(self) -> str:
        """Return the portal REST base."""
        return f"{self.base_url}/rest/"

    @property
    def server_endpoint(self) -> str:
        """Return the OAuth server REST base."""
        return f"{self.scheme}://{self.oauth_domain}/rest/"

    @property
    def member_id(self) -> str:
        """Return the portal's member_id."""
        return self.config["MEMBER_ID"]

    @property
    def application_token(self) -> str:
        """Return the installation's application_token."""
        return self.config["APPLICATION_TOKEN"]

    # -- users ---------------------------------------------------------------

    def user(self, user_id: int) -> dict[str, Any] | None:
        """Return a user by id."""
        return next((user for user in self.users if user["ID"] == str(user_id)), None)

    # -- installation --------------------------------------------------------

    def token_fields(self, user_id: int) -> dict[str, Any]:
        """Issue a token pair and return the documented token response fields."""
        with self.lock:
            scope = self.config["SCOPES"]
            access, refresh, expires_at = self.tokens.issue_pair(user_id, scope)
            return {
                "access_token": access,
                "expires": int(expires_at),
                "expires_in": self.config["ACCESS_TOKEN_TTL"],
                "scope": scope,
                "domain": self.oauth_domain,
                "server_endpoint": self.server_endpoint,
                "status": self.config["APP_STATUS"],
                "client_endpoint": self.client_endpoint,
                "member_id": self.member_id,
                "user_id": user_id,
                "refresh_token": refresh,
            }

    def install_app(self, user_id: int = 1, notify: bool = True) -> dict[str, Any]:
        """Mark the app installed and return the auth fields handed to it.

        `domain` here is the portal host, as in the install callback and events.
        """
        with self.lock:
            self.app.installed = True
            self.app.present = True
            auth = self.token_fields(user_id)
            auth.update(domain=self.domain, application_token=self.application_token)
        if notify:
            self.fire_app_event(
                "ONAPPINSTALL",
                {
                    "VERSION": str(self.app.version),
                    "ACTIVE": "Y",
                    "INSTALLED": "Y",
                    "LANGUAGE_ID": "ru",
                },
                user_id,
            )
        return auth

    def update_app(self, version: int, user_id: int = 1) -> None:
        """Play an app update and send ONAPPUPDATE."""
        with self.lock:
            previous, self.app.version = self.app.version, version
        self.fire_app_event(
            "ONAPPUPDATE",
            {
                "VERSION": str(version),
                "PREVIOUS_VERSION": str(previous),
                "LANGUAGE_ID": "ru",
            },
            user_id,
        )

    def uninstall_app(self, clean: bool) -> None:
        """Send ONAPPUNINSTALL (no tokens), then revoke tokens and drop bindings."""
        self.fire_app_event(
            "ONAPPUNINSTALL",
            {"LANGUAGE_ID": "ru", "CLEAN": "1" if clean else "0"},
            None,
        )
        with self.lock:
            self.app.installed = False
            self.app.present = False
            self.app.placements.clear()
            self.tokens.revoke_all()
            self.events.bindings.clear()
            self.events.offline.clear()

    def frame_fields(
        self,
        placement: str = "DEFAULT",
        options: dict[str, Any] | None = None,
        user_id: int = 1,
        lang: str = "ru",
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Return (query, form body) of the frame POST with fresh tokens."""
        with self.lock:
            auth = self.token_fields(user_id)
            query = {
                "DOMAIN": self.domain,
                "PROTOCOL": "1" if self.scheme == "https" else "0",
                "LANG": lang,
                "APP_SID": secrets.token_hex(16),
            }
            body = {
                "AUTH_ID": auth["access_token"],
                "AUTH_EXPIRES": str(auth["expires_in"]),
                "REFRESH_ID": auth["refresh_token"],
                "SERVER_ENDPOINT": self.server_endpoint,
                "member_id": self.member_id,
                "status": self.config["APP_STATUS"],
                "PLACEMENT": placement,
                "PLACEMENT_OPTIONS": json.dumps(
                    options or {}, ensure_ascii=False, separators=(",", ":")
                ),
            }
            if self.app.installed:
                body["APPLICATION_TOKEN"] = self.application_token
                body["APPLICATION_SCOPE"] = self.config["SCOPES"]
            return query, body

    # -- events --------------------------------------------------------------

    def _event_auth(self, user_id: int | None, refresh: bool) -> list[tuple[str, str]]:
        pairs = [
            ("domain", self.domain),
            ("client_endpoint", self.client_endpoint),
            ("server_endpoint", self.server_endpoint),
            ("member_id", self.member_id),
            ("application_token", self.application_token),
        ]
        if user_id is None:
            return pairs
        token = self.token_fields(user_id)
        pairs[:0] = [
            ("access_token", token["access_token"]),
            ("expires", str(token["expires"])),
            ("expires_in", str(token["expires_in"])),
            ("scope", token["scope"]),
            ("status", token["status"]),
            ("user_id", str(user_id)),
        ]
        if refresh:
            pairs.append(("refresh_token", token["refresh_token"]))
        return pairs

    def _send(
        self,
        event: str,
        data_pairs: list[tuple[str, str]],
        user_id: int | None,
        refresh: bool,
    ) -> int:
        sent = 0
        for binding in self.events.online_for(event):
            token_user = binding.auth_type or user_id
            pairs = [("event", event), ("event_handler_id", str(binding.binding_id))]
            pairs += [(f"data{key}", value) for key, value in data_pairs]
            pairs.append(("ts", str(int(time.time()))))
            pairs += [
                (f"auth[{key}]", value)
                for key, value in self._event_auth(token_user, refresh)
            ]
            self.events.deliver(binding.handler, event, pairs)
            sent += 1
        return sent

    def fire_app_event(
        self, event: str, data: dict[str, str], user_id: int | None
    ) -> int:
        """Send an app lifecycle event to its bound handlers and the install URL."""
        with self.lock:
            data_pairs = [(f"[{key}]", value) for key, value in data.items()]
            sent = self._send(event, data_pairs, user_id, refresh=user_id is not None)
            install_url = self.config["INSTALL_URL"] or self.config["APP_URL"]
            already = {binding.handler for binding in self.events.online_for(event)}
            if event == "ONAPPINSTALL" and install_url and install_url not in already:
                pairs = [("event", event)] + [
                    (f"data{key}", value) for key, value in data_pairs
                ]
                pairs.append(("ts", str(int(time.time()))))
                pairs += [
                    (f"auth[{key}]", value)
                    for key, value in self._event_auth(user_id, refresh=True)
                ]
                self.events.deliver(install_url, event, pairs)
                sent += 1
            return sent

    def crm_event(
        self,
        entity: str,
        action: str,
        row_id: int,
        actor: Actor,
        extra: dict[str, str] | None = None,
    ) -> int:
        """Send ONCRM<ENTITY><ACTION> online and queue it for offline subscribers.

        `extra` adds fields next to `ID` in `data[FIELDS]`.
        """
        with self.lock:
            if not self.app.installed:
                return 0
            event = ENTITY_EVENTS[entity] + action
            user_id = None if actor.robot else actor.user_id
            fields: dict[str, Any] = {"ID": row_id, **(extra or {})}
            self.events.enqueue_offline(
                event, {"FIELDS": fields}, user_id, actor.connector
            )
            data_pairs = [
                (f"[FIELDS][{key}]", str(value)) for key, value in fields.items()
            ]
            return self._send(event, data_pairs, user_id, refresh=False)

    # -- CRM changes that fire events ---------------------------------------

    def crm_add(self, entity: str, fields: dict[str, Any], actor: Actor) -> int:
        """Create an entity as `actor` and fire the ADD event."""
        with self.lock:
            row_id = self.crm.add(entity, fields, actor.user_id)
            self.crm_event(entity, "ADD", row_id, actor)
            return row_id

    def crm_update(
        self,
        entity: str,
        row_id: Any,
        fields: dict[str, Any],
        actor: Actor,
        allow_category: bool = False,
    ) -> dict[str, Any]:
        """Update an entity as `actor` and fire the UPDATE event.

        A deal moved to another pipeline fires ONCRMDEALMOVETOCATEGORY instead, because
        the docs say a pipeline change does not fire ONCRMDEALUPDATE.
        """
        with self.lock:
            before = self.crm.tables[entity].require(row_id).get("CATEGORY_ID")
            row = self.crm.update(entity, row_id, fields, actor.user_id, allow_category)
            if entity == "deal" and row["CATEGORY_ID"] != before:
                extra = {"CATEGORY_ID": row["CATEGORY_ID"], "STAGE_ID": row["STAGE_ID"]}
                self.crm_event(entity, "MOVETOCATEGORY", int(row["ID"]), actor, extra)
            else:
                self.crm_event(entity, "UPDATE", int(row["ID"]), actor)
            return row

    def crm_delete(self, entity: str, row_id: Any, actor: Actor) -> None:
        """Delete an entity as `actor` and fire the DELETE event."""
        with self.lock:
            row = self.crm.tables[entity].require(row_id)
            self.crm.delete(entity, row["ID"])
            self.crm_event(entity, "DELETE", int(row["ID"]), actor)

    # -- admin view ----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Return a JSON-friendly summary for tests and the admin API."""
        with self.lock:
            return {
                "domain": self.domain,
                "old_domains": sorted(self.old_domains),
                "member_id": self.member_id,
                "app": {
                    "installed": self.app.installed,
                    "present": self.app.present,
                    "version": self.app.version,
                },
                "counts": {
                    name: len(table.rows) for name, table in self.crm.tables.items()
                },
                "events": [vars(binding).copy() for binding in self.events.bindings],
                "offline_events": len(self.events.offline),
                "deliveries": [vars(item).copy() for item in self.events.deliveries],
                "placements": [vars(item).copy() for item in self.app.placements],
                "timeline_comments": list(self.crm.timeline.values()),
                "faults": self.faults.describe(),
                "rate_limit": None
                if self.bucket is None
                else {"burst": self.bucket.burst, "rate": self.bucket.rate},
            }
