"""The figures other parts of the app call: plain, JSON-serialisable dicts.

Each function returns the cached figure when the portal's data has not changed
since the figure was computed, and computes it in SQL otherwise.
"""

from typing import Any

from b24app.analytics.cache import cached_figures
from b24app.analytics.dashboard import compute_dashboard
from b24app.analytics.filters import Filters
from b24app.analytics.organizations import compute_employer, compute_university


def dashboard_figures(portal_id: int, filters: Filters | None = None) -> dict[str, Any]:
    """Return the program dashboard of a portal."""
    filters = filters or Filters()
    figures = cached_figures(
        portal_id,
        "dashboard",
        filters.cache_key(),
        lambda: compute_dashboard(portal_id, filters),
    )
    return {"filters": filters.to_dict(), **figures}


def university_figures(
    portal_id: int, university_id: int, filters: Filters | None = None
) -> dict[str, Any]:
    """Return a university's figures.

    Raises `NotFound` for an unknown or deleted university.
    """
    filters = filters or Filters()
    figures = cached_figures(
        portal_id,
        f"university:{university_id}",
        filters.cache_key(),
        lambda: compute_university(portal_id, university_id, filters),
    )
    return {"filters": filters.to_dict(), **figures}


def employer_figures(
    portal_id: int, employer_id: int, filters: Filters | None = None
) -> dict[str, Any]:
    """Return an employer's figures.

    Raises `NotFound` for an unknown or deleted employer.
    """
    filters = filters or Filters()
    figures = cached_figures(
        portal_id,
        f"employer:{employer_id}",
        filters.cache_key(),
        lambda: compute_employer(portal_id, employer_id, filters),
    )
    return {"filters": filters.to_dict(), **figures}
