"""Bitrix24 REST wire layer: clients, errors, limits, tokens and PHP-style payloads.

This package is the bottom layer of b24app and imports nothing else from it.
"""

from .batch import BatchResult
from .client import Client, WebhookClient
from .errors import (
    AccessDeniedError,
    AuthorizationError,
    AuthorizationRevoked,
    BatchError,
    BitrixError,
    ExpiredTokenError,
    HostNotAllowed,
    InvalidResponseError,
    MethodNotFoundError,
    NotFoundError,
    OperationTimeLimit,
    OverloadLimitError,
    PortalMovedError,
    QueryLimitExceeded,
    ServerError,
    TokenLockTimeout,
    TransportError,
    WriteTimeoutError,
)
from .hosts import HostPolicy
from .limiter import LocalLeakyBucket, RedisLeakyBucket
from .payloads import parse_php_form, php_query
from .rest_client import RestClient, RetryPolicy
from .tokens import MemoryTokenStore, TokenPair, TokenStore, redis_lock
from .wire import Response, is_write_method

__all__ = [
    "AccessDeniedError",
    "AuthorizationError",
    "AuthorizationRevoked",
    "BatchError",
    "BatchResult",
    "BitrixError",
    "Client",
    "ExpiredTokenError",
    "HostNotAllowed",
    "HostPolicy",
    "InvalidResponseError",
    "LocalLeakyBucket",
    "MemoryTokenStore",
    "MethodNotFoundError",
    "NotFoundError",
    "OperationTimeLimit",
    "OverloadLimitError",
    "PortalMovedError",
    "QueryLimitExceeded",
    "RedisLeakyBucket",
    "Response",
    "RestClient",
    "RetryPolicy",
    "ServerError",
    "TokenLockTimeout",
    "TokenPair",
    "TokenStore",
    "TransportError",
    "WebhookClient",
    "WriteTimeoutError",
    "is_write_method",
    "parse_php_form",
    "php_query",
    "redis_lock",
]
