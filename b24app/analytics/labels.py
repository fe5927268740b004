"""Column titles, sheet names and value names of exports and report packs.

The texts are Flask-Babel messages, so the Russian ones live in the "messages"
catalog with the rest of the app. Titles carry the message context "analytics"
because some of them ("Stage", "Active", "Term") are worded differently in a
report than on the app's own pages. Value names share the plain messages of
the app pages, so a stage reads the same everywhere.

Callers pass the language explicitly: report jobs run outside any request, so
there is no request locale to follow. An application context is needed,
because that is where Flask-Babel finds the catalogs.
"""

from flask_babel import force_locale, lazy_gettext, lazy_pgettext

DEFAULT_LANGUAGE = "ru"
LANGUAGES = ("ru", "en")

TITLES = {
    "metric": lazy_pgettext("analytics", "Metric"),
    "value": lazy_pgettext("analytics", "Value"),
    "status": lazy_pgettext("analytics", "Status"),
    "stage": lazy_pgettext("analytics", "Stage"),
    "source": lazy_pgettext("analytics", "Source"),
    "count": lazy_pgettext("analytics", "Count"),
    "university": lazy_pgettext("analytics", "University"),
    "employer": lazy_pgettext("analytics", "Employer"),
    "internship": lazy_pgettext("analytics", "Internship"),
    "student": lazy_pgettext("analytics", "Student"),
    "email": lazy_pgettext("analytics", "E-mail"),
    "course": lazy_pgettext("analytics", "Course"),
    "programme": lazy_pgettext("analytics", "Programme"),
    "applications": lazy_pgettext("analytics", "Applications"),
    "students": lazy_pgettext("analytics", "Students"),
    "placed": lazy_pgettext("analytics", "Placed"),
    "reached": lazy_pgettext("analytics", "Reached"),
    "conversion_from_previous": lazy_pgettext(
        "analytics", "Conversion from previous stage"
    ),
    "conversion_from_start": lazy_pgettext("analytics", "Conversion from start"),
    "median_days": lazy_pgettext("analytics", "Median, days"),
    "p90_days": lazy_pgettext("analytics", "90th percentile, days"),
    "user_id": lazy_pgettext("analytics", "User ID"),
    "recruiter": lazy_pgettext("analytics", "Recruiter"),
    "active": lazy_pgettext("analytics", "Active"),
    "hired": lazy_pgettext("analytics", "Hired"),
    "total": lazy_pgettext("analytics", "Total"),
    "month": lazy_pgettext("analytics", "Month"),
    "agreed": lazy_pgettext("analytics", "Seats agreed"),
    "used": lazy_pgettext("analytics", "Seats used"),
    "left": lazy_pgettext("analytics", "Seats left"),
    "applied_on": lazy_pgettext("analytics", "Applied on"),
    "stage_changed_on": lazy_pgettext("analytics", "Stage changed on"),
    "internships": lazy_pgettext("analytics", "Internships"),
    "active_applications": lazy_pgettext("analytics", "Active applications"),
    "partner_universities": lazy_pgettext("analytics", "Partner universities"),
    "offered": lazy_pgettext("analytics", "Internships offered"),
    "completed": lazy_pgettext("analytics", "Internships completed"),
    "applied": lazy_pgettext("analytics", "Students applied"),
    "in_process": lazy_pgettext("analytics", "Students in process"),
    "time_to_placement_median": lazy_pgettext("analytics", "Days to placement, median"),
    "time_to_placement_p90": lazy_pgettext(
        "analytics", "Days to placement, 90th percentile"
    ),
    "time_to_hire_median": lazy_pgettext("analytics", "Days to hire, median"),
    "time_to_hire_p90": lazy_pgettext("analytics", "Days to hire, 90th percentile"),
    "generated_at": lazy_pgettext("analytics", "Generated at"),
    "filters": lazy_pgettext("analytics", "Filters"),
    "summary": lazy_pgettext("analytics", "Summary"),
    "funnel": lazy_pgettext("analytics", "Funnel"),
    "seats": lazy_pgettext("analytics", "Partnerships and seats"),
    "history": lazy_pgettext("analytics", "Stage history"),
    "dashboard": lazy_pgettext("analytics", "Program dashboard"),
    "term": lazy_pgettext("analytics", "Term"),
    "any": lazy_pgettext("analytics", "Any"),
    "date_from": lazy_pgettext("analytics", "From"),
    "date_to": lazy_pgettext("analytics", "To"),
    "apply_filters": lazy_pgettext("analytics", "Apply"),
    "export_xlsx": lazy_pgettext("analytics", "Download XLSX"),
    "export_csv": lazy_pgettext("analytics", "Download CSV"),
    "internship_status": lazy_pgettext("analytics", "Internships by status"),
    "application_stage": lazy_pgettext("analytics", "Applications by stage"),
    "by_university": lazy_pgettext("analytics", "Applications by university"),
    "stage_durations": lazy_pgettext("analytics", "Time in each stage"),
    "sources": lazy_pgettext("analytics", "Applications by source"),
    "recruiter_load": lazy_pgettext("analytics", "Recruiter load"),
    "monthly": lazy_pgettext("analytics", "Monthly trend"),
    "request_report": lazy_pgettext("analytics", "Build report pack"),
    "attach_to_crm": lazy_pgettext("analytics", "Attach to the company card"),
    "report_queued": lazy_pgettext("analytics", "Report queued"),
    "report_running": lazy_pgettext("analytics", "Building the report"),
    "report_succeeded": lazy_pgettext("analytics", "Report ready"),
    "report_failed": lazy_pgettext("analytics", "Report failed"),
    "download": lazy_pgettext("analytics", "Download"),
    "no_data": lazy_pgettext("analytics", "No data for these filters."),
    "shown_of": lazy_pgettext("analytics", "Shown {shown} of {total}"),
    "report_pack": lazy_pgettext("analytics", "University report pack"),
    "portal": lazy_pgettext("analytics", "Portal"),
    "dates": lazy_pgettext("analytics", "Dates"),
    "all_dates": lazy_pgettext("analytics", "All dates"),
    "seats_per_employer": lazy_pgettext("analytics", "Seats per employer"),
    "page_of": lazy_pgettext("analytics", "Page {page} of {pages}"),
    "format": lazy_pgettext("analytics", "File format"),
}

VALUES = {
    "new": lazy_gettext("New"),
    "screening": lazy_gettext("Screening"),
    "interview": lazy_gettext("Interview"),
    "offer": lazy_gettext("Offer"),
    "hired": lazy_gettext("Hired"),
    "rejected": lazy_gettext("Rejected"),
    "withdrawn": lazy_gettext("Withdrawn"),
    "draft": lazy_gettext("Draft"),
    "open": lazy_gettext("Open"),
    "closed": lazy_gettext("Closed"),
    "completed": lazy_gettext("Completed"),
    "cancelled": lazy_gettext("Cancelled"),
    "form": lazy_gettext("Form"),
    "api": lazy_gettext("API"),
    "crm": lazy_gettext("CRM"),
    "import": lazy_gettext("Import"),
    "card": lazy_gettext("CRM card"),
}


def language(lang: str | None) -> str:
    """Return the supported language code for `lang`, Russian when unknown."""
    code = (lang or "").lower()[:2]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def title(key: str, lang: str) -> str:
    """Return the title of `key` in `lang`, or the key itself when it has none."""
    message = TITLES.get(key)
    if message is None:
        return key
    with force_locale(language(lang)):
        return str(message)


def value_name(value: str, lang: str) -> str:
    """Return the display name of a stage, status or source code."""
    return value_names(lang).get(value, value)


def value_names(lang: str) -> dict[str, str]:
    """Return every value name in `lang`, for callers that translate many cells."""
    with force_locale(language(lang)):
        return {code: str(message) for code, message in VALUES.items()}
