"""Emulator configuration: defaults in code, overrides from the factory argument."""

from __future__ import annotations

import copy
from typing import Any

DEFAULTS: dict[str, Any] = {
    # A local app's client_id has the documented form `local.<14 hex>.<8 digits>`.
    "CLIENT_ID": "local.b24e0000000001.00000001",
    "CLIENT_SECRET": "emulator-client-secret-0000000000000000000000000",
    "MEMBER_ID": "0123456789abcdef0123456789abcdef",
    "APPLICATION_TOKEN": "fedcba9876543210fedcba9876543210",
    # Base URL of the app's handlers; the emulator posts install callbacks there.
    "APP_URL": None,
    # URL that receives the ONAPPINSTALL callback; defaults to APP_URL.
    "INSTALL_URL": None,
    # Where /oauth/authorize/ sends the user with `code`; defaults to APP_URL.
    "REDIRECT_URI": None,
    "APP_VERSION": 1,
    "APP_STATUS": "L",
    "LICENSE": "ru_pro",
    "RATE_LIMIT": {"burst": 50, "rate": 2.0},
    # Seconds of execution time per method per 10 minutes before OPERATION_TIME_LIMIT.
    "OPERATING_LIMIT": 480,
    # Simulated seconds of execution time added per call, per method name.
    "OPERATING_COST": {},
    "ACCESS_TOKEN_TTL": 3600,
    "REFRESH_TOKEN_TTL": 180 * 24 * 3600,
    "AUTH_CODE_TTL": 30,
    "SCOPES": "crm,placement,user_brief",
    # "free" rejects every REST call with ACCESS_DENIED, as on free cloud plans.
    "PLAN": "pro",
    "EVENT_TIMEOUT": 5.0,
    "DOMAIN": "127.0.0.1",
    "SCHEME": "http",
}


def build_config(overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Merge overrides into a deep copy of the defaults, rejecting unknown keys."""
    config = copy.deepcopy(DEFAULTS)
    for key, value in (overrides or {}).items():
        if key not in DEFAULTS:
            raise KeyError(
                f"unknown emulator config key {key!r}; known: {sorted(DEFAULTS)}"
            )
        config[key] = value
    return config
