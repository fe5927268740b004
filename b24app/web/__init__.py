"""The in-CRM web layer: frame verification, session tokens, CSP, HTMX, i18n."""

from flask import Flask

from b24app.web import crm_access, i18n, session, user_check, views


def init_app(app: Flask) -> None:
    """Set up languages, the user and access caches and the session endpoint."""
    i18n.init_app(app)
    user_check.init_app(app)
    crm_access.init_app(app)
    app.context_processor(session.template_context)
    app.register_blueprint(views.bp)
