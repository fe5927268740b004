"""Public pages: open internships, one internship with its form, the result.

No Bitrix24 login: the portal comes from the unguessable slug in the URL.
"""

import functools
import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeSerializer

from b24app.extensions import db
from b24app.intake.i18n import gettext as _
from b24app.intake.i18n import language, request_language
from b24app.public import pages
from b24app.public.forms import ApplicationForm, consent_text
from b24app.public.limits import form_rate_limit, limiter
from b24app.public.models import Submission, SubmissionStatus
from b24app.public.submissions import store_submission
from b24app.web.htmx import add_vary, is_htmx_request, stop_polling
from b24app.web.params import find_control_character

log = logging.getLogger(__name__)

bp = Blueprint("public", __name__, url_prefix="/p/<slug>")


def public_view(view):
    """Load the portal from the slug and run the view in the visitor's language."""

    @functools.wraps(view)
    def wrapper(slug: str, **kwargs):
        g.public_portal = pages.portal_for_slug(slug)
        g.public_slug = slug
        g.public_lang = request_language(g.public_portal.lang)
        with language(g.public_lang):
            response = current_app.make_response(view(**kwargs))
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
        )
        return add_vary(response)

    return wrapper


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="public-submission")


def _render(template: str, **context):
    return render_template(
        template,
        portal=g.public_portal,
        slug=g.public_slug,
        lang=g.public_lang,
        **context,
    )


@bp.get("/")
@public_view
def index():
    skill = request.args.get("skill", "")[:100]
    city = request.args.get("city", "")[:100]
    if find_control_character(skill + city):
        text = _("The search text contains a control character. Remove it and retry.")
        return _render("public/message.html", title=_("Invalid search"), text=text), 422

    internships = pages.open_internships(g.public_portal.id, skill, city)
    template = "public/_results.html" if is_htmx_request() else "public/index.html"
    return _render(
        template,
        internships=internships,
        employers=pages.employer_names(g.public_portal.id),
        skill=skill,
        city=city,
    )


@bp.get("/internships/<int:internship_id>")
@public_view
def internship(internship_id: int):
    item = pages.open_internship_or_404(g.public_portal.id, internship_id)
    form = _form()
    return _show_form(item, form)


@bp.post("/internships/<int:internship_id>/apply")
@limiter.limit(form_rate_limit, methods=["POST"])
@public_view
def apply(internship_id: int):
    portal_id = g.public_portal.id
    item = pages.open_internship_or_404(portal_id, internship_id)
    form = _form()
    if not form.validate_on_submit():
        return _show_form(item, form), 422
    if form.is_bot:
        log.info("portal %s: honeypot filled, submission dropped", portal_id)
        return _render("public/thanks.html", submission=None, internship=item)

    submission = store_submission(
        portal_id,
        item.id,
        cleaned_fields(form),
        consent_text(),
        g.public_lang,
        request.remote_addr or "",
    )
    token = _serializer().dumps(submission.id)
    return redirect(
        url_for(
            "public.submission", slug=g.public_slug, token=token, lang=g.public_lang
        ),
        303,
    )


@bp.get("/submissions/<token>")
@public_view
def submission(token: str):
    try:
        submission_id = int(_serializer().loads(token))
    except (BadSignature, ValueError):
        abort(404)
    row = db.session.get(Submission, submission_id)
    if row is None or row.portal_id != g.public_portal.id:
        abort(404)

    template = "public/_status.html" if is_htmx_request() else "public/thanks.html"
    response = current_app.make_response(
        _render(template, submission=row, token=token, internship=None)
    )
    if is_htmx_request() and row.status != SubmissionStatus.PENDING:
        stop_polling(response)
    return response


def _form() -> ApplicationForm:
    form = ApplicationForm()
    form.university.choices = [("", _("Choose…"))] + pages.university_choices(
        g.public_portal.id
    )
    return form


def _show_form(item, form: ApplicationForm):
    return _render(
        "public/internship.html",
        internship=item,
        employer=pages.employer_names(g.public_portal.id).get(item.employer_id, ""),
        form=form,
        consent=consent_text(),
    )


def cleaned_fields(form: ApplicationForm) -> dict:
    """Return the validated form values in the shape the submission payload stores."""
    return {
        "first_name": form.first_name.data,
        "last_name": form.last_name.data,
        "email": form.email.data,
        "phone": form.phone.data,
        "university_id": form.university.data,
        "student_number": form.student_number.data,
        "course": form.course.data,
        "programme": form.programme.data,
        "skills": form.skills.data,
        "cover_note": form.cover_note.data,
    }


@bp.errorhandler(429)
def rate_limited(error):
    lang = request_language()
    with language(lang):
        body = render_template(
            "public/message.html",
            lang=lang,
            title=_("Too many attempts"),
            text=_("Too many submissions from your address. Please try again later."),
        )
    return body, 429


@bp.context_processor
def intake_catalog() -> dict:
    """Templates of this blueprint translate with the intake catalog."""
    return {"_": _, "gettext": _}
