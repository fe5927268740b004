"""b24app: an internship program app for the Bitrix24 CRM."""

from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, subsystems, then blueprints."""
    from b24app import analytics, api, jobs, public, web
    from b24app.extensions import db, migrate
    from b24app.settings import load_settings, warn_about_insecure_mode
    from b24app.web import request_context

    config = dict(config or {})
    app = Flask(
        __name__,
        instance_path=config.pop("INSTANCE_PATH", None) or instance_path(),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_settings(app, config)
    warn_about_insecure_mode(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    jobs.init_app(app)
    analytics.init_app(app)
    request_context.init_app(app)
    web.init_app(app)
    public.init_app(app)
    api.init_app(app)

    register_models()
    register_blueprints(app)
    return app


def instance_path() -> str:
    """Return the folder for the SQLite file and generated secrets."""
    import os

    return os.environ.get("B24APP_INSTANCE_PATH") or str(ROOT / "instance")


def register_models() -> None:
    """Import every model module so metadata and migrations see all tables."""
    import b24app.models  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from b24app.analytics import views as analytics_views
    from b24app.events import views as events_views
    from b24app.placements import views as placements
    from b24app.portals import views as portals_views
    from b24app.web import health, metrics, readiness

    app.register_blueprint(health.bp)
    app.register_blueprint(analytics_views.bp)
    app.register_blueprint(readiness.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(placements.bp)
    app.register_blueprint(portals_views.bp)
    app.register_blueprint(events_views.bp)
