"""Token refresh against the Bitrix24 OAuth server, through Authlib."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session

from .errors import (
    AuthorizationRevoked,
    BitrixError,
    InvalidResponseError,
    ServerError,
    TransportError,
)
from .hosts import HostPolicy
from .logfilter import install_credential_filter
from .tokens import TokenPair

logger = logging.getLogger(__name__)

TOKEN_PATH = "oauth/token/"  # noqa: S105


@dataclasses.dataclass(frozen=True)
class RefreshedTokens:
    """The result of a refresh: the new pair plus the portal REST base URL.

    The response's `domain` field names the OAuth server, not the portal, so it
    is not kept; `client_endpoint` is the portal's current REST base URL.
    """

    pair: TokenPair
    client_endpoint: str | None
    member_id: str | None


def token_url(server_endpoint: str) -> str:
    """Return the token URL of the OAuth server whose REST URL is `server_endpoint`.

    `server_endpoint` looks like `https://oauth.bitrix.info/rest/`; the token
    endpoint is `/oauth/token/` on the same origin.
    """
    base = server_endpoint.split("/rest/", 1)[0].rstrip("/")
    return f"{base}/{TOKEN_PATH}"


def refresh_tokens(
    *,
    server_endpoint: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    host_policy: HostPolicy,
    timeout: tuple[float, float] = (5.0, 30.0),
    verify: bool | str = True,
    method: str = "POST",
) -> RefreshedTokens:
    """Exchange `refresh_token` for a new pair (`grant_type=refresh_token`).

    The docs show the four parameters in a GET query string. By default they go
    in a form POST body instead, because that keeps the client secret out of
    URLs and proxy logs; the official JS SDK (b24jssdk) switched to this form
    after checking that the OAuth server accepts it. Pass `method="GET"` for
    the documented form. An error body is checked even on
    HTTP 200, because the server answers `wrong_client` that way.
    """
    url = token_url(server_endpoint)
    host_policy.check_oauth_server(url)
    install_credential_filter()

    statuses: list[int] = []
    session = OAuth2Session(client_id=client_id, client_secret=client_secret)
    session.register_compliance_hook(
        "access_token_response", lambda response: _remember(statuses, response)
    )
    try:
        token = session.fetch_token(
            url,
            method=method,
            grant_type="refresh_token",
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=client_secret,
            auth=_no_client_auth,
            timeout=timeout,
            verify=verify,
            allow_redirects=False,
        )
    except AuthlibBaseError as exc:
        raise _oauth_error(exc, statuses) from None
    except requests.Timeout:
        raise TransportError("OAuth refresh timed out", is_timeout=True) from None
    except requests.ConnectionError:
        raise TransportError("OAuth server unreachable", is_timeout=False) from None
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        raise ServerError("OAuth refresh failed", status=status) from None
    except ValueError:
        raise InvalidResponseError(
            "OAuth refresh returned a body that is not a JSON object",
            status=statuses[-1] if statuses else None,
        ) from None
    finally:
        session.close()

    return _refreshed_from(token)


def _no_client_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    # The client credentials already travel as parameters, as the docs show;
    # Authlib would otherwise add an HTTP Basic header as well.
    return request


def _remember(statuses: list[int], response: requests.Response) -> requests.Response:
    statuses.append(response.status_code)
    return response


def _oauth_error(exc: AuthlibBaseError, statuses: list[int]) -> BitrixError:
    code = str(getattr(exc, "error", "") or "")
    description = str(getattr(exc, "description", "") or "")
    status = statuses[-1] if statuses else None
    fields = {"status": status, "code": code, "description": description}
    if code in {"invalid_grant", "invalid_client", "wrong_client", "NOT_INSTALLED"}:
        return AuthorizationRevoked(method="oauth.refresh", **fields)
    if code == "PAYMENT_REQUIRED":
        return AuthorizationRevoked(method="oauth.refresh", **fields)
    return BitrixError(method="oauth.refresh", **fields)


def _refreshed_from(token: dict[str, Any]) -> RefreshedTokens:
    access_token = token.get("access_token")
    new_refresh_token = token.get("refresh_token")
    if not access_token or not new_refresh_token:
        raise InvalidResponseError("OAuth refresh response lacks a token", code="")

    pair = TokenPair(
        access_token=str(access_token),
        refresh_token=str(new_refresh_token),
        expires_at=_expiry(token),
    )
    return RefreshedTokens(
        pair=pair,
        client_endpoint=token.get("client_endpoint"),
        member_id=token.get("member_id"),
    )


def _expiry(token: dict[str, Any]) -> dt.datetime:
    expires = token.get("expires") or token.get("expires_at")
    if expires is None:
        expires = time.time() + float(token.get("expires_in") or 3600)
    return dt.datetime.fromtimestamp(float(expires), tz=dt.UTC)
