"""Idempotency keys on POST: a retried request gets the stored response.

A retry with the same `Idempotency-Key` and the same method, path and body gets
the first response again without running the handler. The same key with a
different request is a client error (422). Records expire after
`API_IDEMPOTENCY_TTL` seconds.
"""

import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta

from flask import Response, current_app, request
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from b24app.api.auth import Principal
from b24app.api.models import IdempotencyRecord
from b24app.api.problems import ApiError, FieldError, problem_response
from b24app.extensions import db
from b24app.tenancy.models import utcnow
from b24app.tenancy.scoping import get_scoped

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# Response headers worth replaying; the request id stays that of the retry.
KEPT_HEADERS = ("Location", "Content-Type")


def replay_or_run(
    principal: Principal, run: Callable[[], Response], shows_secret: bool = False
) -> Response:
    """Run a POST once per idempotency key; replay the stored response after.

    A response that shows a secret is not stored: a retry gets a 409 problem
    instead, so no secret is kept in clear in the records table.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return run()
    key = check_key(key)
    digest = request_digest()

    stored = find_record(principal, key)
    if stored is not None:
        return replay(stored, digest)

    response = run()
    if response.status_code < 500:
        kept = (
            secret_withheld()
            if shows_secret and response.status_code < 300
            else response
        )
        store(principal, key, digest, kept)
    return response


def secret_withheld() -> Response:
    return problem_response(
        ApiError(
            409,
            "Already created",
            "the first request with this Idempotency-Key succeeded and its secret "
            "is shown only once; delete the resource and create it again if the "
            "secret was lost",
            "secret-shown-once",
        )
    )


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(
            400,
            "Invalid idempotency key",
            f"the {HEADER} header must be 1-{MAX_KEY_LENGTH} printable characters",
            "invalid-idempotency-key",
            [FieldError(f"header.{HEADER}", "invalid value")],
        )
    return key


def request_digest() -> str:
    hasher = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.get_data()):
        hasher.update(len(part).to_bytes(8, "big"))
        hasher.update(part)
    return hasher.hexdigest()


def find_record(principal: Principal, key: str) -> IdempotencyRecord | None:
    record = get_scoped(
        IdempotencyRecord,
        principal.portal_id,
        principal=principal.scope_key,
        idempotency_key=key,
    )
    if record is not None and record.expires_at <= utcnow():
        db.session.delete(record)
        db.session.commit()
        return None
    return record


def replay(record: IdempotencyRecord, digest: str) -> Response:
    if record.request_digest != digest:
        raise ApiError(
            422,
            "Idempotency key reused",
            f"the {HEADER} was already used for a different request; send a new "
            "key for a new request",
            "idempotency-key-reused",
            [FieldError(f"header.{HEADER}", "already used with another body")],
        )
    response = Response(record.response_body, status=record.status_code)
    response.headers.update(record.response_headers)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def store(principal: Principal, key: str, digest: str, response: Response) -> None:
    ttl = timedelta(seconds=current_app.config["API_IDEMPOTENCY_TTL"])
    headers = {
        name: response.headers[name]
        for name in KEPT_HEADERS
        if name in response.headers
    }
    values = dict(
        portal_id=principal.portal_id,
        principal=principal.scope_key,
        idempotency_key=key,
        request_digest=digest,
        status_code=response.status_code,
        response_body=response.get_data(as_text=True),
        response_headers=headers,
        expires_at=utcnow() + ttl,
    )
    # NOTE: two requests with one key that arrive together both run; the
    # second to finish keeps the first stored response.
    try:
        # Expired records of the portal are deleted here, so no job is needed.
        db.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.portal_id == principal.portal_id,
                IdempotencyRecord.expires_at <= utcnow(),
            )
        )
        db.session.add(IdempotencyRecord(**values))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        log.warning(
            "portal %s: idempotency record for %s not stored",
            principal.portal_id,
            principal.scope_key,
        )
