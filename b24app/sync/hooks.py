"""Hook the sync into the install flow and the periodic scheduler."""

import logging
from typing import Any

from redis.exceptions import RedisError

from b24app.ops.periodic import register_periodic
from b24app.portals.steps import register_install_step
from b24app.sync.notify import install_notification_hooks
from b24app.tenancy.models import Portal

log = logging.getLogger(__name__)


def start_sync_after_install(portal: Portal, client: Any) -> None:
    """Install step: queue the first full sync; it runs once the install commits."""
    from b24app.sync.fullsync import start_full_sync

    try:
        start_full_sync(portal.id)
    except RedisError as error:
        # The periodic reconciliation starts it later; the install must not fail.
        log.warning("portal %s: first full sync not queued: %s", portal.id, error)


def register() -> None:
    """Register the install step, the periodic jobs and session hooks (idempotent)."""
    install_notification_hooks()
    register_install_step("sync.full", start_sync_after_install)
    register_periodic(
        "sync-reconcile", "b24app.sync.reconcile.reconcile_all", 300, "sync"
    )
    register_periodic("sync-outbox", "b24app.sync.outbound.deliver_all", 60, "crm")
