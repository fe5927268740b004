"""Outgoing webhooks: signed notifications to HTTPS endpoints universities register.

The sync part calls `notify_internship_opened` and
`notify_application_stage_changed`; deliveries run as jobs with retries.
"""

from b24app.api.webhooks.notify import (
    notify_application_stage_changed,
    notify_internship_opened,
)

__all__ = ["notify_application_stage_changed", "notify_internship_opened"]
