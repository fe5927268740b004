"""Build REST clients for portals from the app config.

Every outbound request of the app goes through a client made here, so the host
rules (B24_PORTAL_DOMAINS, B24_OAUTH_SERVERS, B24_ALLOW_INSECURE_PORTALS) are
checked before any request leaves the process.
"""

import logging
from typing import Any

from flask import Flask, current_app
from redis import Redis

from b24app.bitrix import Client, HostPolicy, LocalLeakyBucket, RedisLeakyBucket
from b24app.extensions import db
from b24app.tenancy.models import Portal
from b24app.tenancy.store import PortalTokenStore, token_cipher

log = logging.getLogger(__name__)

EXTENSION_KEY = "b24app.clients"


def split_setting(value: str | None) -> list[str]:
    """Split a comma-separated setting into its non-empty, stripped items."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def host_policy(app: Flask | None = None) -> HostPolicy:
    """Return the HostPolicy the config describes.

    B24_ALLOW_INSECURE_PORTALS lets plain HTTP and loopback portals through; it
    never adds an OAuth server, which only B24_OAUTH_SERVERS names.
    """
    config = (app or current_app).config
    return HostPolicy(
        portal_domains=split_setting(config["B24_PORTAL_DOMAINS"]),
        oauth_servers=split_setting(config["B24_OAUTH_SERVERS"]),
        allow_insecure=bool(config["B24_ALLOW_INSECURE_PORTALS"]),
    )


def tls_verify(app: Flask | None = None) -> bool | str:
    """Return what `requests` takes as `verify`: a CA bundle path or True."""
    return (app or current_app).config.get("B24_CA_BUNDLE") or True


def http_timeout(app: Flask | None = None) -> tuple[float, float]:
    """Return the (connect, read) timeout in seconds for REST calls."""
    return (5.0, float((app or current_app).config["B24_HTTP_TIMEOUT"]))


class ClientFactory:
    """What every client of one app shares: token store, limiter, host policy.

    Built inside an app context, because the token store takes the app's engine.
    """

    def __init__(self, app: Flask) -> None:
        config = app.config
        redis_url = config.get("REDIS_URL")
        self.redis = Redis.from_url(redis_url) if redis_url else None
        self.store = PortalTokenStore(
            db.engine,
            token_cipher(app),
            redis=self.redis,
        )
        burst = int(config["B24_RATE_LIMIT_BURST"])
        rate = float(config["B24_RATE_LIMIT_RATE"])
        if self.redis is not None:
            self.limiter: Any = RedisLeakyBucket(self.redis, burst=burst, rate=rate)
        else:
            self.limiter = LocalLeakyBucket(burst=burst, rate=rate)
        self.policy = host_policy(app)


def client_factory(app: Flask | None = None) -> ClientFactory:
    """Return the app's ClientFactory, built on first use inside an app context."""
    app = app or current_app
    factory = app.extensions.get(EXTENSION_KEY)
    if factory is None:
        factory = ClientFactory(app)
        app.extensions[EXTENSION_KEY] = factory
    return factory


def client_for(portal: Portal) -> Client:
    """Return a REST client for `portal`, acting with its stored OAuth tokens.

    Raises HostNotAllowed when the portal's stored endpoints break the host
    rules, before any request is sent.
    """
    factory = client_factory()
    config = current_app.config

    def forget_cached_address(new_domain: str, new_endpoint: str) -> None:
        # The token store already wrote the new address to the row; expiring the
        # attributes makes this session read it instead of the old one.
        db.session.expire(portal, ["domain", "client_endpoint"])

    return Client(
        portal_key=portal.member_id,
        client_endpoint=portal.client_endpoint,
        server_endpoint=portal.server_endpoint,
        client_id=config["B24_CLIENT_ID"],
        client_secret=config["B24_CLIENT_SECRET"],
        token_store=factory.store,
        limiter=factory.limiter,
        host_policy=factory.policy,
        timeout=http_timeout(),
        verify=tls_verify(),
        on_domain_change=forget_cached_address,
    )
