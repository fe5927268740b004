"""Frame session renewal: the page trades a fresh BX24 token for a new session."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from b24app.web.frame import FrameError, parse_frame_request, verify_frame
from b24app.web.security import protect_frame_blueprint
from b24app.web.session import start_frame_session

bp = Blueprint("frame", __name__)
protect_frame_blueprint(bp)


@bp.post("/b24/session")
def renew() -> tuple[Response, int]:
    """Verify `member_id` and `AUTH_ID` from `BX24.refreshAuth`; return a new token.

    The page posts the same fields as a frame (`LANG` in the query), so the
    same checks apply: known portal, matching application token if one is
    sent, and a token the portal confirms.
    """
    try:
        frame = verify_frame(parse_frame_request(request))
    except FrameError as error:
        return jsonify(error=error.reason), 400 if error.status == 400 else 401

    start_frame_session(frame)
    return jsonify(token=g.session_token), 200
