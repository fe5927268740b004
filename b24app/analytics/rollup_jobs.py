"""Build a portal's rollups: the job the dashboard queues, and the CLI's rebuild.

A portal whose rollups are not built (`rollup_state`) gets its dashboard from
the summaries, and the first such request queues one rebuild. The job id is
fixed per portal, so a rebuild that waits or runs is not queued again.
"""

import logging

from b24app.analytics.cache import bump_data_version
from b24app.analytics.summary import rebuild_summaries
from b24app.extensions import db
from b24app.jobs import enqueue_once
from b24app.tenancy.models import Portal

log = logging.getLogger(__name__)

# The analytics queue, whose workers already run long jobs.
REBUILD_QUEUE = "reports"
REBUILD_TIMEOUT_SECONDS = 30 * 60
# A failed rebuild keeps its id this long. The next dashboard request after
# that queues another attempt.
FAILURE_TTL_SECONDS = 15 * 60


def rebuild_job_id(portal_id: int) -> str:
    return f"rollups-rebuild-{portal_id}"


def queue_rebuild(portal_id: int) -> bool:
    """Queue a rebuild of the portal's rollups unless one waits or runs.

    Returns whether this call queued it.
    """
    queued = enqueue_once(
        "b24app.analytics.rollup_jobs.rebuild_portal",
        portal_id,
        job_id=rebuild_job_id(portal_id),
        queue=REBUILD_QUEUE,
        timeout=REBUILD_TIMEOUT_SECONDS,
        # Frees the id as soon as the rebuild succeeds.
        result_ttl=0,
        failure_ttl=FAILURE_TTL_SECONDS,
        portal_id=portal_id,
    )
    if queued:
        log.info("portal %s: rollups not built, rebuild queued", portal_id)
    return queued


def rebuild_portal(portal_id: int) -> int:
    """Recompute a portal's summaries and rollups and mark them built.

    Returns the number of summaries. Raises LookupError for an unknown portal.
    """
    if db.session.get(Portal, portal_id) is None:
        raise LookupError(f"portal {portal_id} does not exist")

    count = rebuild_summaries(portal_id)
    bump_data_version(portal_id)
    return count
