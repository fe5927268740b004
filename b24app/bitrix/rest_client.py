"""The transport shared by both clients: pooled session, limiter, retries,
302 renames, response parsing and the operating-time block.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from .batch import BatchResult, Commands, parse_batch_result, prepare_batch
from .errors import (
    AuthorizationError,
    AuthorizationRevoked,
    BatchError,
    ExpiredTokenError,
    InvalidResponseError,
    OperationTimeLimit,
    PortalMovedError,
    QueryLimitExceeded,
    ServerError,
    TransportError,
    WriteTimeoutError,
    redact_url,
)
from .hosts import HostPolicy
from .limiter import LocalLeakyBucket, RateLimiter
from .listing import ItemShape, iterate_list
from .logfilter import install_credential_filter
from .tokens import TokenPair
from .wire import (
    REDIRECT_STATUSES,
    Response,
    encode_body,
    is_write_method,
    parse_response,
    renamed_endpoint,
    response_outcome,
    transport_error,
    transport_outcome,
)

logger = logging.getLogger(__name__)

# Bitrix24 cuts a request off after 60 s, so the read timeout sits a bit above.
DEFAULT_TIMEOUT = (5.0, 65.0)
# Without a response from the last call, a blocked method is retried after the
# next one-minute operating bucket expires.
DEFAULT_OPERATING_BLOCK = 60.0
_METHOD = re.compile(r"[A-Za-z0-9_.]+")

RequestHook = Callable[[str, str, float], None]
DomainChangeHook = Callable[[str, str], None]


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how long the client retries.

    `query_limit_attempts` bounds attempts after `503 QUERY_LIMIT_EXCEEDED`;
    `read_attempts` bounds attempts of reads after 5xx, bad bodies and timeouts;
    `authorization_attempts` bounds attempts after a transient
    `authorization_error`. Delays double from `base_delay` up to `max_delay`
    seconds, with jitter.
    """

    query_limit_attempts: int = 6
    read_attempts: int = 3
    authorization_attempts: int = 2
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Return the pause before retry number `attempt` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)


class RestClient:
    """Shared transport: pooled session, limiter, retries, redirects, parsing."""

    def __init__(
        self,
        *,
        portal_key: str,
        client_endpoint: str,
        limiter: RateLimiter | None = None,
        host_policy: HostPolicy | None = None,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        on_domain_change: DomainChangeHook | None = None,
        on_request: RequestHook | None = None,
        retry: RetryPolicy | None = None,
        user_agent: str = "b24app",
    ) -> None:
        self.host_policy = host_policy or HostPolicy()
        self.host_policy.check_portal_endpoint(client_endpoint)
        self.portal_key = portal_key
        self.client_endpoint = client_endpoint
        self.limiter = limiter or LocalLeakyBucket()
        self.session = session or _pooled_session()
        self.timeout = timeout
        self.verify = verify
        self.on_domain_change = on_domain_change
        self.on_request = on_request
        self.retry = retry or RetryPolicy()
        self.user_agent = user_agent
        self._operating_reset: dict[str, float] = {}
        install_credential_filter()

    # Public interface

    def call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        write: bool | None = None,
    ) -> Response:
        """Call one REST method and return its result, retrying per the policy.

        Raises a BitrixError subclass; a write whose outcome is unknown raises
        WriteTimeoutError and is never sent twice.
        """
        if not _METHOD.fullmatch(method):
            raise ValueError(f"invalid REST method name {method!r}")
        is_write = is_write_method(method) if write is None else write
        payload = self._call_with_retries(method, dict(params or {}), is_write)
        return Response(
            result=payload.get("result"),
            total=payload.get("total"),
            next=payload.get("next"),
            time=payload.get("time"),
        )

    def batch(
        self,
        commands: Commands,
        halt: bool = False,
        raise_on_error: bool = True,
    ) -> BatchResult:
        """Run up to 50 commands in one request and return their per-key results.

        With `raise_on_error` (the default) any failed or skipped command raises
        BatchError naming its key.
        """
        prepared = prepare_batch(commands)
        for method in set(prepared.methods.values()):
            self._raise_if_blocked(method)

        is_write = any(is_write_method(m) for m in prepared.methods.values())
        params = {"halt": 1 if halt else 0, "cmd": prepared.cmd}
        response = self.call("batch", params, write=is_write)
        outcome = parse_batch_result(response.result, prepared.methods)

        # Each command is metered against its own method, so remember and
        # block per command, not per `batch`.
        for key, timing in outcome.times.items():
            self._remember_operating(prepared.methods[key], timing)
        for error in outcome.errors.values():
            if isinstance(error, OperationTimeLimit) and error.method:
                self._block_method(error.method, error)
        if raise_on_error and not outcome.ok:
            raise BatchError(outcome.results, outcome.errors, outcome.not_run)
        return outcome

    def list_all(
        self,
        method: str,
        *,
        filter: Mapping[str, Any] | None = None,
        select: list[str] | None = None,
        order_field: str | None = None,
        item_shape: ItemShape = "classic",
        entity_type_id: int | None = None,
        id_key: str | None = None,
        params: Mapping[str, Any] | None = None,
        start_after: int = 0,
    ) -> Iterator[dict[str, Any]]:
        """Yield every row of a list method once, 2,500 rows per request.

        See `listing.iterate_list` for the technique and its guarantees.
        """
        return iterate_list(
            self,
            method,
            filter=filter,
            select=select,
            order_field=order_field,
            item_shape=item_shape,
            entity_type_id=entity_type_id,
            id_key=id_key,
            params=params,
            start_after=start_after,
        )

    # Hooks for the two authentication modes

    def _credential(self) -> TokenPair | None:
        return None

    def _method_url(self, method: str) -> str:
        return f"{self.client_endpoint}{method}"

    def _refresh_after_expiry(self, failed: TokenPair | None) -> bool:
        return False

    def _on_revoked(self, error: AuthorizationRevoked) -> None:
        return None

    def _store_domain(self, new_domain: str, new_endpoint: str) -> None:
        return None

    # Retry loop

    def _call_with_retries(
        self, method: str, params: dict[str, Any], is_write: bool
    ) -> dict[str, Any]:
        failures = {"limit": 0, "read": 0, "authorization": 0}
        refreshed = False
        while True:
            self._raise_if_blocked(method)
            credential = self._credential()
            try:
                return self._exchange(method, params, is_write, credential)
            except ExpiredTokenError:
                if refreshed or not self._refresh_after_expiry(credential):
                    raise
                refreshed = True
            except QueryLimitExceeded as exc:
                self.limiter.saturate(self.portal_key)
                if not self._wait_for_retry(failures, "limit", method, exc):
                    raise
            except OperationTimeLimit as exc:
                self._block_method(method, exc)
                raise
            except AuthorizationRevoked as exc:
                self._on_revoked(exc)
                raise
            except AuthorizationError as exc:
                if not self._wait_for_retry(failures, "authorization", method, exc):
                    raise
            except WriteTimeoutError:
                raise
            except (ServerError, InvalidResponseError, TransportError) as exc:
                # A write is never repeated after these: it may have run.
                if is_write or not self._wait_for_retry(failures, "read", method, exc):
                    raise

    def _wait_for_retry(
        self, failures: dict[str, int], kind: str, method: str, error: Exception
    ) -> bool:
        """Count a failure of `kind`; sleep and return True if a retry is left."""
        failures[kind] += 1
        limits = {
            "limit": self.retry.query_limit_attempts,
            "read": self.retry.read_attempts,
            "authorization": self.retry.authorization_attempts,
        }
        if failures[kind] >= limits[kind]:
            return False

        delay = self.retry.delay(failures[kind])
        logger.warning(
            "Bitrix24 %s failed on portal %s (%s); retry %d in %.1f s",
            method,
            self.portal_key,
            error,
            failures[kind],
            delay,
        )
        time.sleep(delay)
        return True

    # One exchange: limiter, POST, redirect, parse

    def _exchange(
        self,
        method: str,
        params: dict[str, Any],
        is_write: bool,
        credential: TokenPair | None,
    ) -> dict[str, Any]:
        body = dict(params)
        if credential is not None:
            body["auth"] = credential.access_token
        data = encode_body(body)

        url = self._method_url(method)
        response = self._post(url, data, method, is_write)
        if response.status_code in REDIRECT_STATUSES:
            response = self._follow_rename(response, url, data, method, is_write)
        payload = parse_response(response, method)
        self._remember_operating(method, payload.get("time"))
        return payload

    def _post(
        self, url: str, data: bytes, method: str, is_write: bool
    ) -> requests.Response:
        self.limiter.acquire(self.portal_key)
        started = time.monotonic()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        }
        try:
            response = self.session.post(
                url,
                data=data,
                headers=headers,
                timeout=self.timeout,
                verify=self.verify,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            self._report(method, transport_outcome(exc), started)
            raise transport_error(exc, method, is_write) from None

        self._report(method, response_outcome(response), started)
        logger.debug(
            "Bitrix24 %s on portal %s: HTTP %s in %.3f s",
            method,
            self.portal_key,
            response.status_code,
            time.monotonic() - started,
        )
        return response

    def _report(self, method: str, outcome: str, started: float) -> None:
        if self.on_request is not None:
            self.on_request(method, outcome, time.monotonic() - started)

    def _follow_rename(
        self,
        response: requests.Response,
        url: str,
        data: bytes,
        method: str,
        is_write: bool,
    ) -> requests.Response:
        """Re-send the same POST once to a renamed portal's new address."""
        location = response.headers.get("Location")
        if not location:
            raise PortalMovedError(
                f"{method}: HTTP {response.status_code} redirect without Location",
                status=response.status_code,
                method=method,
            )

        new_url = urljoin(url, location)
        new_endpoint = renamed_endpoint(new_url, url, self.client_endpoint, method)
        self.host_policy.check_portal_endpoint(new_endpoint)

        moved = self._post(new_url, data, method, is_write)
        if moved.status_code in REDIRECT_STATUSES:
            raise PortalMovedError(
                f"{method}: redirected twice; stopped at {redact_url(new_url)!r}",
                status=moved.status_code,
                method=method,
            )
        self._adopt_endpoint(new_endpoint)
        return moved

    def _adopt_endpoint(self, new_endpoint: str) -> None:
        if new_endpoint == self.client_endpoint:
            return
        new_domain = urlsplit(new_endpoint).netloc
        old_domain = urlsplit(self.client_endpoint).netloc
        logger.info(
            "Bitrix24 portal %s moved from %s to %s",
            self.portal_key,
            old_domain,
            new_domain,
        )
        self.client_endpoint = new_endpoint
        self._store_domain(new_domain, new_endpoint)
        if self.on_domain_change is not None:
            self.on_domain_change(new_domain, new_endpoint)

    # Operating-time limit

    def _remember_operating(self, method: str, timing: Any) -> None:
        if isinstance(timing, Mapping) and timing.get("operating_reset_at"):
            self._operating_reset[method.lower()] = float(timing["operating_reset_at"])

    def _block_method(self, method: str, error: OperationTimeLimit) -> None:
        now = time.time()
        reset_at = self._operating_reset.get(method.lower(), 0.0)
        if reset_at <= now:
            reset_at = now + DEFAULT_OPERATING_BLOCK
        error.reset_at = reset_at
        self.limiter.block_method(self.portal_key, method, reset_at)
        logger.warning(
            "Bitrix24 %s blocked by the operating-time limit on portal %s until %s",
            method,
            self.portal_key,
            dt.datetime.fromtimestamp(reset_at, tz=dt.UTC).isoformat(),
        )

    def _raise_if_blocked(self, method: str) -> None:
        until = self.limiter.method_blocked_until(self.portal_key, method)
        if until is not None:
            raise OperationTimeLimit(
                reset_at=until,
                code="OPERATION_TIME_LIMIT",
                description=f"blocked on this side for {until - time.time():.0f} s",
                method=method,
            )


def _pooled_session() -> requests.Session:
    # requests keeps 10 connections per host by default; worker threads that
    # share one client would otherwise open and drop connections.
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
