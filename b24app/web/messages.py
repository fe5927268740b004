"""Short message pages: rejected frames, expired sessions, missing records."""

from __future__ import annotations

from flask import Response, make_response, render_template
from flask_babel import lazy_gettext as _l

from b24app.web.htmx import page_layout

# Title and text per kind. The text never names the check that failed, so a
# forged request learns nothing about the installation.
MESSAGES = {
    "bad_request": (
        _l("This page cannot be opened"),
        _l("The request from Bitrix24 is incomplete or malformed. Reopen the tab."),
    ),
    "frame_rejected": (
        _l("Access could not be confirmed"),
        _l(
            "Bitrix24 did not confirm this request. Reopen the page from the portal; "
            "if this repeats, ask the portal administrator to reinstall the app."
        ),
    ),
    "session_expired": (
        _l("Your session has expired"),
        _l("Reopen the app in Bitrix24 to continue."),
    ),
    "forbidden": (
        _l("Administrators only"),
        _l("Only a portal administrator can change these settings."),
    ),
    "crm_forbidden": (
        _l("No access to this record"),
        _l(
            "Your Bitrix24 CRM permissions do not allow you to view this record. "
            "Ask your CRM administrator for access."
        ),
    ),
    "crm_edit_forbidden": (
        _l("You cannot change this record"),
        _l(
            "Actions change the CRM deal, so they need your Bitrix24 permission to "
            "change it. Ask the deal's responsible person or your CRM administrator."
        ),
    ),
    "crm_check_failed": (
        _l("Access could not be checked"),
        _l("Bitrix24 did not respond to the permission check. Try again in a minute."),
    ),
    "not_found": (
        _l("Nothing to show"),
        _l("This record is not in the internship program, or it was deleted."),
    ),
    "invalid_parameter": (
        _l("Invalid value"),
        _l("A value in the request is invalid. Correct it and try again."),
    ),
}


def render_message(status: int, kind: str, detail: str = "") -> Response:
    """Render the message page of `kind` with HTTP `status`.

    `detail` is an extra line that names an invalid value. Rejected frames get
    none, so a forged request learns nothing about the installation.
    """
    title, text = MESSAGES[kind]
    body = render_template(
        "web/message.html",
        layout=page_layout(),
        title=title,
        text=text,
        kind=kind,
        detail=detail,
    )
    return make_response(body, status)
