"""Bitrix24 REST clients: `Client` for an OAuth installation and `WebhookClient`
for an incoming webhook. Both share the transport in `rest_client.RestClient`.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from .errors import AuthorizationRevoked, redact_url
from .oauth import refresh_tokens, token_url
from .rest_client import RestClient, RetryPolicy
from .tokens import DomainUpdatingStore, TokenPair, TokenStore
from .wire import Response, is_write_method

__all__ = [
    "Client",
    "Response",
    "RestClient",
    "RetryPolicy",
    "WebhookClient",
    "is_write_method",
]

logger = logging.getLogger(__name__)


class Client(RestClient):
    """A client for one OAuth installation: tokens come from a TokenStore.

    On `401 expired_token` it refreshes once per portal across processes (under
    the store's lock, and only if the stored access token is still the one that
    failed), saves with compare-and-swap, and repeats the call once.
    """

    def __init__(
        self,
        *,
        portal_key: str,
        client_endpoint: str,
        server_endpoint: str,
        client_id: str,
        client_secret: str,
        token_store: TokenStore,
        token_request_method: str = "POST",  # noqa: S107
        **options: Any,
    ) -> None:
        super().__init__(
            portal_key=portal_key, client_endpoint=client_endpoint, **options
        )
        self.host_policy.check_oauth_server(token_url(server_endpoint))
        self.server_endpoint = server_endpoint
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_store = token_store
        self.token_request_method = token_request_method

    def __repr__(self) -> str:
        return f"<Client portal={self.portal_key!r} endpoint={self.client_endpoint!r}>"

    def _credential(self) -> TokenPair:
        return self.token_store.load(self.portal_key)

    def _refresh_after_expiry(self, failed: TokenPair | None) -> bool:
        if failed is None:
            return False
        with self.token_store.lock(self.portal_key):
            current = self.token_store.load(self.portal_key)
            if current.access_token != failed.access_token:
                logger.debug("Tokens of portal %s already refreshed", self.portal_key)
                return True

            logger.info("Refreshing the access token of portal %s", self.portal_key)
            try:
                refreshed = refresh_tokens(
                    server_endpoint=self.server_endpoint,
                    client_id=self.client_id,
                    client_secret=self._client_secret,
                    refresh_token=current.refresh_token,
                    host_policy=self.host_policy,
                    verify=self.verify,
                    method=self.token_request_method,
                )
            except AuthorizationRevoked as exc:
                self._on_revoked(exc)
                raise

            if not self.token_store.save(self.portal_key, refreshed.pair, current):
                logger.warning(
                    "Tokens of portal %s changed outside the lock; refresh not saved",
                    self.portal_key,
                )

        new_endpoint = refreshed.client_endpoint
        if new_endpoint and new_endpoint != self.client_endpoint:
            if self.host_policy.is_portal_endpoint_allowed(new_endpoint):
                self._adopt_endpoint(new_endpoint)
            else:
                logger.warning(
                    "Refresh for portal %s named a disallowed endpoint host %s",
                    self.portal_key,
                    urlsplit(new_endpoint).netloc,
                )
        return True

    def _on_revoked(self, error: AuthorizationRevoked) -> None:
        reason = error.code or "authorization revoked"
        logger.warning(
            "Portal %s needs reauthorization: %s", self.portal_key, error.code
        )
        self.token_store.mark_reauthorization_needed(self.portal_key, reason)

    def _store_domain(self, new_domain: str, new_endpoint: str) -> None:
        if isinstance(self.token_store, DomainUpdatingStore):
            self.token_store.update_domain(self.portal_key, new_domain, new_endpoint)


class WebhookClient(RestClient):
    """A client for an incoming webhook, `https://portal/rest/USER_ID/SECRET/`.

    The secret is part of every URL, so URLs are redacted in logs and errors.
    """

    _WEBHOOK_PATH = re.compile(r"/rest/\d+/[^/]+/")

    def __init__(self, url: str, *, portal_key: str | None = None, **options: Any):
        endpoint = url if url.endswith("/") else url + "/"
        if not self._WEBHOOK_PATH.search(urlsplit(endpoint).path):
            # The path may hold a secret in an unexpected place, so only the
            # host goes into the message.
            host = urlsplit(endpoint).netloc
            raise ValueError(
                f"webhook URL on {host!r} is not of the form "
                "https://portal/rest/USER_ID/SECRET/"
            )
        key = portal_key or urlsplit(endpoint).netloc
        super().__init__(portal_key=key, client_endpoint=endpoint, **options)

    def __repr__(self) -> str:
        return f"<WebhookClient {redact_url(self.client_endpoint)!r}>"
