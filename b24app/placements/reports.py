"""The report schedules section of the app page: its context and form parsing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from b24app.analytics import labels
from b24app.analytics.models import SCHEDULE_FORMATS, ReportRun, ScheduleFrequency
from b24app.analytics.report_schedules import ScheduleError, list_schedules
from b24app.extensions import db
from b24app.placements.queries import named_choices
from b24app.program.models import Term, University
from b24app.tenancy.scoping import scoped
from b24app.web.params import InvalidParameter, optional_positive_int

RECENT_RUNS = 20


def reports_context(portal_id: int, **extra: Any) -> dict[str, Any]:
    """Return the schedules, the form's choices and the portal's latest runs."""
    recent = db.session.execute(
        scoped(ReportRun, portal_id)
        .add_columns(University.name)
        .outerjoin(University, University.id == ReportRun.university_id)
        .order_by(ReportRun.created_at.desc(), ReportRun.id.desc())
        .limit(RECENT_RUNS)
    ).all()
    return {
        "section": "reports",
        "schedules": list_schedules(portal_id),
        "university_choices": named_choices(University, portal_id),
        "term_choices": named_choices(Term, portal_id),
        "frequencies": [frequency.value for frequency in ScheduleFrequency],
        "formats": list(SCHEDULE_FORMATS),
        "languages": list(labels.LANGUAGES),
        "recent_runs": [(row[0], row[1]) for row in recent],
        "batch": [],
        "error": None,
        **extra,
    }


def schedule_fields(form: Mapping[str, str]) -> dict[str, Any]:
    """Parse the new-schedule form, raising ScheduleError that names a bad value."""
    frequency = form.get("frequency", "")
    if frequency not in {item.value for item in ScheduleFrequency}:
        raise ScheduleError(
            f"invalid frequency {frequency!r}: use weekly, monthly or end_of_term"
        )
    file_format = form.get("file_format", "")
    if file_format not in SCHEDULE_FORMATS:
        raise ScheduleError(
            f"invalid report format {file_format!r}: use xlsx, pdf or both"
        )
    lang = form.get("lang", "")
    if lang not in labels.LANGUAGES:
        raise ScheduleError(f"invalid language {lang!r}: use ru or en")
    try:
        university_id = optional_positive_int(
            form.get("university_id"), field="university_id"
        )
        term_id = optional_positive_int(form.get("term_id"), field="term_id")
    except InvalidParameter as error:
        raise ScheduleError(str(error)) from None

    return {
        "frequency": frequency,
        "file_format": file_format,
        "lang": lang,
        "university_id": university_id,
        "term_id": term_id,
        "attach_to_crm": form.get("attach_to_crm") == "1",
    }
