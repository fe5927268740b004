"""Typed errors of the Bitrix24 REST client, and the mapping from error bodies.

Messages carry the method, the Bitrix24 error code, its description and the HTTP
status. They never carry a token, a secret or a webhook URL: callers pass only
those four values, and `redact_url` strips secrets from any URL they mention.
"""

from __future__ import annotations

import re
from typing import Any

# Error codes that mean the stored authorization is gone for good and a person
# has to reinstall or reauthorize the application. Sources: Bitrix24 REST docs
# (system errors, OAuth error codes) and the b24pysdk 1.3 error table.
REAUTHORIZATION_CODES = frozenset(
    {
        "invalid_grant",
        "invalid_token",
        "invalid_client",
        "wrong_client",
        "NO_AUTH_FOUND",
        "APPLICATION_NOT_FOUND",
        "NOT_INSTALLED",
        "ERROR_OAUTH",
        "PAYMENT_REQUIRED",
        "PORTAL_DELETED",
    }
)

ACCESS_DENIED_CODES = frozenset(
    {
        "ACCESS_DENIED",
        "insufficient_scope",
        "invalid_scope",
        "INVALID_SCOPE",
        "user_access_error",
        "WRONG_AUTH_TYPE",
        "INVALID_CREDENTIALS",
        "METHOD_CONFIRM_WAITING",
    }
)

NOT_FOUND_CODES = frozenset({"NOT_FOUND", "ERROR_NOT_FOUND", "ERROR_ENTITY_NOT_FOUND"})

_DESCRIPTION_LIMIT = 300
_WEBHOOK_PATH = re.compile(r"(/rest/\d+/)[^/?#]+")
_SECRET_QUERY = re.compile(
    r"((?:auth|access_token|refresh_token|client_secret|application_token)=)[^&\s\"]*",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """Return `url` with the webhook secret and any credential query values masked."""
    masked = _WEBHOOK_PATH.sub(r"\1***", url)
    return _SECRET_QUERY.sub(r"\1***", masked)


class BitrixError(Exception):
    """An error reported by Bitrix24 or met while talking to it."""

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        description: str | None = None,
        method: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.description = (description or "")[:_DESCRIPTION_LIMIT]
        self.method = method
        super().__init__(message or self._default_message())

    def _default_message(self) -> str:
        parts = [f"{self.method}:" if self.method else "Bitrix24:"]
        parts.append(repr(self.code) if self.code is not None else "no error code")
        if self.description:
            parts.append(f"({self.description})")
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        return " ".join(parts)


class TransportError(BitrixError):
    """The HTTP exchange failed: connection refused or reset, TLS failure, timeout."""

    def __init__(self, message: str, *, method: str | None = None, is_timeout: bool):
        self.is_timeout = is_timeout
        super().__init__(message, method=method)


class WriteTimeoutError(TransportError):
    """A write timed out or lost its connection, so its outcome is unknown.

    The client never repeats such a call on its own: the caller has to read the
    entity back and reconcile before trying again.
    """


class InvalidResponseError(BitrixError):
    """The response body is not the JSON object Bitrix24 sends (an HTML page, say)."""


class ServerError(BitrixError):
    """Bitrix24 returned a 5xx status."""


class NotFoundError(BitrixError):
    """The entity does not exist (`NOT_FOUND`, or the old CRM `""` + "Not found")."""


class MethodNotFoundError(BitrixError):
    """The REST method does not exist on this portal."""


class AccessDeniedError(BitrixError):
    """The token or webhook lacks a scope or a permission for this call."""


class ExpiredTokenError(BitrixError):
    """The access token expired (`401 expired_token`); a refresh fixes it."""


class AuthorizationError(BitrixError):
    """Bitrix24 could not authorize the token user for now (`authorization_error`)."""


class AuthorizationRevoked(BitrixError):
    """The portal's authorization is gone and needs a reinstall or reauthorization."""


class QueryLimitExceeded(BitrixError):
    """The portal's request-rate bucket is full (`503 QUERY_LIMIT_EXCEEDED`)."""


class OverloadLimitError(BitrixError):
    """REST is blocked for this portal by hand (`OVERLOAD_LIMIT`); do not retry."""


class OperationTimeLimit(BitrixError):
    """The method used up its operating time (`429 OPERATION_TIME_LIMIT`).

    `reset_at` is the Unix time after which the method may be called again.
    """

    def __init__(self, *args: Any, reset_at: float, **kwargs: Any) -> None:
        self.reset_at = reset_at
        super().__init__(*args, **kwargs)


class HostNotAllowed(BitrixError):
    """A URL points at a host the host policy does not allow."""


class PortalMovedError(BitrixError):
    """A redirect that is not a plain portal rename (a licence page, a second hop)."""


class TokenLockTimeout(BitrixError):
    """The cross-process token lock could not be taken in time."""


class BatchError(BitrixError):
    """One or more commands of a batch failed or did not run.

    `results` contains the per-key results of the commands that succeeded,
    `errors` the per-key errors and `not_run` the keys that never ran.
    """

    def __init__(
        self,
        results: dict[Any, Any],
        errors: dict[Any, BitrixError],
        not_run: list[Any] | None = None,
    ) -> None:
        self.results = results
        self.errors = errors
        self.not_run = list(not_run or [])
        failed = ", ".join(f"{key!r} ({error.code!r})" for key, error in errors.items())
        message = f"batch: {len(errors)} command(s) failed: {failed or 'none'}"
        if self.not_run:
            skipped = ", ".join(repr(key) for key in self.not_run)
            message += f"; not run: {skipped}"
        super().__init__(message, method="batch")


def error_from_body(
    body: dict[str, Any], *, status: int | None, method: str | None
) -> BitrixError:
    """Build the typed error for a Bitrix24 `{"error", "error_description"}` body."""
    code = str(body.get("error") or "")
    description = str(body.get("error_description") or "")
    fields = {"status": status, "code": code, "description": description}
    error_class = _class_for(code, description, status)

    if error_class is OperationTimeLimit:
        return OperationTimeLimit(reset_at=0.0, method=method, **fields)
    return error_class(method=method, **fields)


def _class_for(code: str, description: str, status: int | None) -> type[BitrixError]:
    if code == "expired_token":
        return ExpiredTokenError
    if code in REAUTHORIZATION_CODES:
        return AuthorizationRevoked
    if code == "authorization_error":
        return AuthorizationError
    if code == "QUERY_LIMIT_EXCEEDED":
        return QueryLimitExceeded
    if code == "OPERATION_TIME_LIMIT":
        return OperationTimeLimit
    if code == "OVERLOAD_LIMIT":
        return OverloadLimitError
    if code == "ERROR_METHOD_NOT_FOUND":
        return MethodNotFoundError
    if code in NOT_FOUND_CODES:
        return NotFoundError
    if code in ACCESS_DENIED_CODES:
        return AccessDeniedError

    # The old crm.deal/contact/company methods send an empty code and put the
    # meaning in the description only ("Not found", "Access denied").
    lowered = description.strip().lower()
    if not code and lowered.startswith("not found"):
        return NotFoundError
    if not code and lowered.startswith("access denied"):
        return AccessDeniedError
    if status is not None and status >= 500:
        return ServerError
    return BitrixError
