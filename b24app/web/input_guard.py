"""Input checks shared by the framed blueprints: control characters, bad numbers.

PostgreSQL rejects text with a NUL byte, and no field of these pages takes
control characters, so a request carrying one is rejected before any view runs.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from b24app.web.messages import render_message
from b24app.web.params import InvalidParameter, find_control_character

log = logging.getLogger(__name__)


def reject_control_characters() -> None:
    """Raise InvalidParameter if a query or form name or value has a control character.

    Tab, line feed and carriage return are allowed, since text areas send them.
    """
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if find_control_character(name) or find_control_character(value):
                field = ascii(name)[1:-1][:40]
                raise InvalidParameter(
                    field, f"{field} contains a control character: remove it"
                )


def invalid_parameter(error: InvalidParameter) -> Response:
    """Render the message page with status 400 and the invalid field."""
    log.info("request %s rejected: %s", request.path, error)
    return render_message(400, "invalid_parameter", detail=str(error))


def guard_frame_input(bp: Blueprint) -> None:
    """Reject control characters in every request of `bp`; show bad values as 400."""
    bp.before_request(reject_control_characters)
    bp.register_error_handler(InvalidParameter, invalid_parameter)
