"""Personal-data operations: export, erasure on request, and data retention."""

from b24app.ops.periodic import register_periodic

DAY_SECONDS = 24 * 60 * 60


def register() -> None:
    """Register the daily retention job (idempotent)."""
    register_periodic(
        "personal-data-retention",
        "b24app.program.personal_data.retention.run_retention_all",
        DAY_SECONDS,
        queue="default",
        timeout=3600,
    )


# The scheduler reads its registry when it runs, so the job is added when the
# package is first imported (the model registry imports it with every app).
register()
