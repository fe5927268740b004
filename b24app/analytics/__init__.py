"""Program analytics: figures in SQL over the mirror, cached per data version,
with CSV/XLSX exports and scheduled report packs per university."""

from flask import Flask

from b24app.analytics.cache import bump_data_version
from b24app.analytics.figures import (
    dashboard_figures,
    employer_figures,
    university_figures,
)
from b24app.analytics.filters import Filters
from b24app.analytics.organizations import NotFound

__all__ = [
    "Filters",
    "NotFound",
    "bump_data_version",
    "dashboard_figures",
    "employer_figures",
    "init_app",
    "university_figures",
]


def init_app(app: Flask) -> None:
    """Set up the figure cache, the data hooks and the report schedule."""
    from b24app.analytics import cache, report_jobs, rollup_state, summary_hooks

    cache.init_app(app)
    summary_hooks.install_session_hooks()
    rollup_state.install_portal_hook()
    report_jobs.register_jobs()
