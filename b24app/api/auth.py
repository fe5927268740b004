"""Bearer authentication of API callers: university keys and portal admin tokens.

Keys are issued and checked by `b24app.program.api_keys`. This module reads the
`Authorization` header and turns the key into a `Principal`. It rejects keys sent
in the URL, because proxies and browser history would keep them.
"""

import hashlib
import logging
from dataclasses import dataclass

from flask import g, request

from b24app.api.problems import ApiError
from b24app.extensions import db
from b24app.logs import portal_id_var
from b24app.program import api_keys
from b24app.tenancy.models import Portal

log = logging.getLogger(__name__)

# Query parameter names that would carry a credential; any of them is rejected.
CREDENTIAL_PARAMETERS = frozenset(
    {"api_key", "apikey", "key", "token", "access_token", "auth", "authorization"}
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="b24app-api"'}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a portal admin, or one university of a portal."""

    portal_id: int
    key_id: int
    university_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.university_id is None

    @property
    def scope_key(self) -> str:
        """A stable name of the key for rate limits and idempotency records."""
        kind = "admin" if self.is_admin else "university"
        return f"{kind}:{self.key_id}"


def reject_credentials_in_url() -> None:
    """Raise when a credential arrives as a query parameter."""
    named = CREDENTIAL_PARAMETERS.intersection(name.lower() for name in request.args)
    if named:
        raise ApiError(
            400,
            "Credentials in URL",
            f"send the key in the Authorization header as 'Bearer <key>', "
            f"not as the query parameter {sorted(named)[0]!r}; revoke a key that "
            "was sent in a URL",
            "credentials-in-url",
        )


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def rate_limit_key() -> str:
    """Return the key Flask-Limiter counts under: a digest of the bearer token."""
    token = bearer_token()
    if token:
        return "key:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return "ip:" + (request.remote_addr or "unknown")


def authenticate_request() -> Principal:
    """Return the caller of this request or raise a 401/403 problem."""
    cached = g.get("api_principal")
    if cached is not None:
        return cached

    token = bearer_token()
    if token is None:
        raise ApiError(
            401,
            "Unauthorized",
            "the Authorization header with 'Bearer <key>' is missing",
            "unauthorized",
            headers=CHALLENGE,
        )
    key = api_keys.authenticate_api_key(token)
    if key is None:
        raise ApiError(
            401,
            "Unauthorized",
            "the API key is unknown or revoked",
            "unauthorized",
            headers=CHALLENGE,
        )

    principal = Principal(key.portal_id, key.id, key.university_id)
    portal = db.session.get(Portal, principal.portal_id)
    if portal is None or not portal.is_active:
        raise ApiError(
            403, "Forbidden", "the key's portal is not active", "portal-inactive"
        )

    g.api_principal = principal
    g.api_portal_token = portal_id_var.set(principal.portal_id)
    log.debug("portal %s: API request by %s", principal.portal_id, principal.scope_key)
    return principal


def forget_principal(_error: BaseException | None = None) -> None:
    # `g` belongs to the app context, which tests keep across requests.
    g.pop("api_principal", None)
    token = g.pop("api_portal_token", None)
    if token is not None:
        portal_id_var.reset(token)


def require_university_access(principal: Principal, university_id: int | None) -> None:
    """Raise 403 when a university key reaches for another university's data."""
    if principal.is_admin or principal.university_id == university_id:
        return
    raise ApiError(
        403,
        "Forbidden",
        "a university key reaches only its own university's data",
        "forbidden",
    )
