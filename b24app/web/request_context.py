"""Per-request bookkeeping: a request id on every log line, and latency metrics."""

import re
import time
import uuid

from flask import Flask, Response, g, request

from b24app import metrics
from b24app.logs import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"

# Accept a caller's id only when it is short and plain, so it cannot inject text
# into log lines or response headers.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def choose_request_id(header_value: str | None) -> str:
    """The caller's X-Request-ID when valid, else a new random id."""
    if header_value and VALID_REQUEST_ID.match(header_value):
        return header_value
    return uuid.uuid4().hex


def start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = choose_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_id_token = request_id_var.set(g.request_id)


def finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")

    started = g.get("request_started")
    if started is not None:
        endpoint = request.endpoint or "unmatched"
        metrics.observe_request(
            endpoint, response.status_code, time.perf_counter() - started
        )
    return response


def forget_request_id(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


def init_app(app: Flask) -> None:
    app.before_request(start_request)
    app.after_request(finish_request)
    app.teardown_request(forget_request_id)
