"""The public application page and its install steps."""

from flask import Flask

from b24app.intake import views as intake_views
from b24app.portals.steps import register_install_step
from b24app.program import crm_setup
from b24app.public import limits, pages, views


def init_app(app: Flask) -> None:
    """Register the public page, the intake admin pages, the rate limiter and the
    program's install steps."""
    limits.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(intake_views.bp)
    crm_setup.register()
    register_install_step("public.page", pages.ensure_public_page_step)
