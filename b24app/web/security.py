"""Security headers of framed pages: CSP with per-portal `frame-ancestors`.

Bitrix24 shows the app in an iframe on the portal's own origin, so the page
must not send `X-Frame-Options` and its CSP must name that origin in
`frame-ancestors`. The origin comes from the verified portal's stored REST
endpoint, never from the `DOMAIN` in the request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, request

from b24app.bitrix.hosts import CLOUD_ZONES, HostPolicy
from b24app.web.htmx import add_vary


def origin_of(url: str) -> str | None:
    """Return `scheme://host[:port]` of an absolute URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}"


def configured_origins(setting: str) -> list[str]:
    """Return the origins listed, space- or comma-separated, in config `setting`."""
    raw = current_app.config.get(setting) or ""
    return [item for item in raw.replace(",", " ").split() if item]


# Statuses of the message pages a frame route sends when it has no session.
SESSION_MESSAGE_STATUSES = frozenset({401, 403})


def frame_ancestors(status: int = 200) -> list[str]:
    """Return the origins allowed to frame a response with HTTP `status`."""
    origins = configured_origins("B24_FRAME_ANCESTORS")
    portal = g.get("portal")
    if portal is not None:
        origin = origin_of(portal.client_endpoint)
        if origin:
            origins.insert(0, origin)
    elif "DOMAIN" in request.args:
        origins[:0] = unverified_portal_origin()
    elif status in SESSION_MESSAGE_STATUSES:
        origins.extend(allowed_portal_origins())
    return origins or ["'none'"]


def allowed_portal_origins() -> list[str]:
    """Return CSP sources for every portal host the host policy accepts.

    A request whose session token has expired names no portal, yet the user
    sees its 401 page inside the portal's frame. The page has no data, so any
    allowed portal may frame it: the cloud zones and `B24_PORTAL_DOMAINS`.
    """
    config = current_app.config
    sources = [f"https://*.{zone}" for zone in CLOUD_ZONES]
    schemes = ["https"]
    if config.get("B24_ALLOW_INSECURE_PORTALS"):
        schemes.append("http")
    for domain in config["B24_PORTAL_DOMAINS"].split(","):
        domain = domain.strip().lower()
        if domain:
            sources.extend(f"{scheme}://{domain}" for scheme in schemes)
    return sources


def unverified_portal_origin() -> list[str]:
    """Return the origin of a rejected frame's `DOMAIN` if it is a real portal host.

    Such a response is only a message page with no data, and allowing the
    portal to frame it lets the user read why the tab is empty.
    """
    domain = request.args.get("DOMAIN", "").strip().lower()
    if not domain:
        return []
    config = current_app.config
    policy = HostPolicy(
        portal_domains=[d for d in config["B24_PORTAL_DOMAINS"].split(",") if d],
        allow_insecure=False,
    )
    url = f"https://{domain}/rest/"
    if not policy.is_portal_endpoint_allowed(url):
        return []
    origin = origin_of(url)
    return [origin] if origin else []


def content_security_policy(status: int = 200) -> str:
    """Build the CSP of a framed page: own scripts and styles plus BX24.js."""
    scripts = ["'self'"]
    bx24_origin = origin_of(current_app.config.get("B24_BX24_JS_URL") or "")
    if bx24_origin:
        scripts.append(bx24_origin)

    directives = [
        "default-src 'self'",
        f"script-src {' '.join(scripts)}",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        f"frame-ancestors {' '.join(frame_ancestors(status))}",
    ]
    return "; ".join(directives)


def add_security_headers(response: Response) -> Response:
    """Set CSP, drop X-Frame-Options and vary on `HX-Request`."""
    csp = content_security_policy(response.status_code)
    response.headers["Content-Security-Policy"] = csp
    response.headers.pop("X-Frame-Options", None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    add_vary(response)
    return response


def protect_frame_blueprint(bp: Blueprint) -> None:
    """Give every response of `bp` the framed-page security headers."""
    bp.after_request(add_security_headers)
