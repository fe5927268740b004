"""Allow-lists of hosts that may receive tokens, secrets and outbound requests."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from .errors import HostNotAllowed, redact_url

# Cloud portal zones. Source: the portal-zone map in the Bitrix24 core `disk`
# module (com, eu, de, es, com.br, pl, it, fr, cn, jp, vn, com.tr, id, in, ru,
# ua, by, kz), plus uk, mx and co that cloud portals use as well.
CLOUD_ZONES = (
    "bitrix24.com",
    "bitrix24.eu",
    "bitrix24.de",
    "bitrix24.fr",
    "bitrix24.it",
    "bitrix24.pl",
    "bitrix24.es",
    "bitrix24.uk",
    "bitrix24.com.br",
    "bitrix24.com.tr",
    "bitrix24.mx",
    "bitrix24.co",
    "bitrix24.cn",
    "bitrix24.jp",
    "bitrix24.vn",
    "bitrix24.id",
    "bitrix24.in",
    "bitrix24.ru",
    "bitrix24.ua",
    "bitrix24.by",
    "bitrix24.kz",
)

# The OAuth servers the Bitrix24 docs name: oauth.bitrix.info (English docs)
# and oauth.bitrix24.tech (Russian docs).
DEFAULT_OAUTH_SERVERS = ("https://oauth.bitrix.info/", "https://oauth.bitrix24.tech/")

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class HostPolicy:
    """Allow-lists for portal endpoints, OAuth servers and outbound URLs.

    Cloud portals (`*.bitrix24.<zone>` over HTTPS on port 443) are always
    allowed; `portal_domains` adds on-premise hosts as `host` or `host:port`.
    Plain HTTP and loopback hosts pass only with `allow_insecure`, which never
    adds an OAuth server: those come from `oauth_servers` alone.
    """

    def __init__(
        self,
        portal_domains: Iterable[str] = (),
        oauth_servers: Iterable[str] = DEFAULT_OAUTH_SERVERS,
        allow_insecure: bool = False,
    ) -> None:
        self.portal_domains = frozenset(d.strip().lower() for d in portal_domains if d)
        self.oauth_servers = tuple(_normalize_base(url) for url in oauth_servers if url)
        self.allow_insecure = allow_insecure

    def check_portal_endpoint(self, url: str) -> None:
        """Raise HostNotAllowed unless `url` is a REST URL of an allowed portal."""
        parts = self._split_checked(url)
        if not parts.path.startswith("/rest/"):
            raise HostNotAllowed(f"portal URL {redact_url(url)!r} is not under /rest/")

        host = (parts.hostname or "").lower()
        host_port = _host_port(parts)
        if self._is_cloud(host, parts.port, parts.scheme):
            return
        if host_port in self.portal_domains or (
            parts.port is None and host in self.portal_domains
        ):
            if _is_loopback(host) and not self.allow_insecure:
                raise HostNotAllowed(f"loopback host {host_port!r} is not allowed")
            return
        raise HostNotAllowed(f"portal host {host_port!r} is not allowed")

    def is_portal_endpoint_allowed(self, url: str) -> bool:
        """Return whether `check_portal_endpoint` accepts `url`."""
        try:
            self.check_portal_endpoint(url)
        except HostNotAllowed:
            return False
        return True

    def check_oauth_server(self, url: str) -> None:
        """Raise HostNotAllowed unless `url` lies under an allowed OAuth server."""
        parts = self._split_checked(url)
        for base in self.oauth_servers:
            base_parts = urlsplit(base)
            same_origin = base_parts.scheme == parts.scheme and _host_port(
                base_parts
            ) == _host_port(parts)
            if same_origin and parts.path.startswith(base_parts.path):
                return
        raise HostNotAllowed(f"OAuth server {_host_port(parts)!r} is not allowed")

    def check_outbound_url(self, url: str) -> None:
        """Raise HostNotAllowed for URLs a webhook must not reach.

        The URL must be HTTPS and every address its host resolves to must be
        public (not loopback, private, link-local, multicast or reserved),
        unless `allow_insecure` is set.
        """
        parts = self._split_checked(url)
        if self.allow_insecure:
            return

        # NOTE: the name is resolved again when the request is sent, so a DNS
        # answer that changes in between (rebinding) is not caught here.
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443)
        except socket.gaierror as exc:
            raise HostNotAllowed(f"host {parts.hostname!r} does not resolve") from exc

        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global or address.is_multicast:
                raise HostNotAllowed(
                    f"host {parts.hostname!r} resolves to non-public address {address}"
                )

    def _split_checked(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise HostNotAllowed(f"URL {redact_url(url)!r} is not an absolute HTTP URL")
        if parts.scheme == "http" and not self.allow_insecure:
            raise HostNotAllowed(f"plain HTTP URL {redact_url(url)!r} is not allowed")
        if parts.username or parts.password:
            raise HostNotAllowed("URLs with user credentials are not allowed")
        return parts

    def _is_cloud(self, host: str, port: int | None, scheme: str) -> bool:
        if scheme != "https" or port not in (None, 443):
            return False
        for zone in CLOUD_ZONES:
            prefix = host.removesuffix("." + zone)
            if prefix != host and prefix and "." not in prefix:
                return True
        return False


def _normalize_base(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _host_port(parts) -> str:
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
