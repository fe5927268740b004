"""Admin pages inside Bitrix24 for the intake channels.

The public page address, a new run of the CRM setup, university API keys and
the bulk student import. Every view needs an admin frame session; the session
token in the request header also protects these POSTs against CSRF.
"""

import logging

from flask import Blueprint, render_template, request, url_for

from b24app.intake.i18n import gettext as _
from b24app.jobs import enqueue
from b24app.program import api_keys
from b24app.program.crm_setup import run_crm_setup
from b24app.program.importing import ImportRejected, commit_import, preview_import
from b24app.public.pages import ensure_public_page, university_choices
from b24app.web.htmx import page_layout
from b24app.web.input_guard import guard_frame_input
from b24app.web.params import InvalidParameter, optional_positive_int
from b24app.web.security import protect_frame_blueprint
from b24app.web.session import current_portal, frame_session_required

log = logging.getLogger(__name__)

bp = Blueprint("intake", __name__, url_prefix="/intake")
protect_frame_blueprint(bp)
guard_frame_input(bp)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@bp.context_processor
def intake_catalog() -> dict:
    """Templates of this blueprint translate with the intake catalog."""
    return {"_": _, "gettext": _}


@bp.get("/settings")
@frame_session_required(admin=True)
def settings():
    portal = current_portal()
    page = ensure_public_page(portal.id)
    return render_template(
        "intake/settings.html",
        layout=page_layout(),
        public_url=url_for("public.index", slug=page.slug, _external=True),
        universities=university_choices(portal.id),
        keys=api_keys.list_api_keys(portal.id),
        created=None,
    )


@bp.post("/crm-setup")
@frame_session_required(admin=True)
def crm_setup():
    portal = current_portal()
    enqueue(run_crm_setup, portal.id, queue="crm", timeout=300, portal_id=portal.id)
    log.info("portal %s: CRM setup queued from settings", portal.id)
    return render_template(
        "intake/_notice.html", text=_("The CRM setup has been queued.")
    )


@bp.post("/keys")
@frame_session_required(admin=True)
def create_key():
    portal = current_portal()
    try:
        university_id = form_university_id()
        created = api_keys.create_api_key(
            portal.id, request.form.get("label", ""), university_id
        )
    except (InvalidParameter, LookupError):
        return render_template(
            "intake/_notice.html", text=_("Choose a university from the list.")
        ), 422
    return _keys_fragment(portal.id, created=created)


@bp.post("/keys/<int:key_id>/revoke")
@frame_session_required(admin=True)
def revoke_key(key_id: int):
    portal = current_portal()
    try:
        api_keys.revoke_api_key(portal.id, key_id)
    except LookupError:
        return render_template("intake/_notice.html", text=_("Key not found.")), 404
    return _keys_fragment(portal.id)


@bp.post("/import")
@frame_session_required(admin=True)
def import_students():
    portal = current_portal()
    upload = request.files.get("file")
    try:
        university_id = form_university_id()
    except InvalidParameter:
        return _notice(_("Choose a university from the list."), 422)
    content = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
    if not upload or not content or university_id is None:
        return _notice(_("Choose a university and a file."), 422)
    if len(content) > MAX_UPLOAD_BYTES:
        return _notice(_("The file is larger than 5 MB."), 422)

    lang = str(request.form.get("lang") or "ru")
    try:
        if request.form.get("action") == "commit":
            result = commit_import(
                portal.id, university_id, upload.filename or "", content, lang=lang
            )
            return render_template("intake/_import_result.html", result=result)
        parsed = preview_import(
            portal.id, university_id, upload.filename or "", content, lang=lang
        )
    except LookupError:
        return _notice(_("Choose a university from the list."), 422)
    except ImportRejected as rejected:
        return render_template(
            "intake/_import_preview.html", parsed=None, errors=rejected.errors
        ), 422
    return render_template(
        "intake/_import_preview.html", parsed=parsed, errors=parsed.errors
    )


def form_university_id() -> int | None:
    """Return the posted university id, None if blank; raise InvalidParameter."""
    return optional_positive_int(
        request.form.get("university_id"), field="university_id"
    )


def _keys_fragment(portal_id: int, created=None):
    return render_template(
        "intake/_keys.html",
        keys=api_keys.list_api_keys(portal_id),
        universities=dict(university_choices(portal_id)),
        created=created,
    )


def _notice(text: str, status: int):
    return render_template("intake/_notice.html", text=text), status
