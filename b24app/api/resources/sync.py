"""Sync: start a full sync of the portal and follow its run."""

from b24app.api import schemas
from b24app.api.auth import Principal
from b24app.api.operations import Result, operation
from b24app.api.resources.common import external_url, load_or_404
from b24app.sync.fullsync import start_full_sync
from b24app.sync.models import SyncRun


def run_schema(run: SyncRun) -> schemas.SyncRun:
    return schemas.SyncRun(
        id=run.id,
        kind=run.kind,
        status=run.status,
        attempts=run.attempts,
        processed=run.processed,
        expected=run.expected,
        counts=dict(run.counts or {}),
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status_url=external_url("api.get_sync_run", run_id=run.id),
    )


@operation(
    "/sync",
    "POST",
    summary="Start a full sync",
    tag="sync",
    body=schemas.SyncStart,
    response=schemas.SyncRun,
    status=202,
    admin_only=True,
)
def start_sync(principal: Principal, body: schemas.SyncStart) -> Result:
    """Start (or rejoin the unfinished) full sync of the portal from the CRM."""
    # NOTE: the sync part has no sync of one university's records yet, so the
    # body takes no `university_id`.
    run = start_full_sync(principal.portal_id)
    result = run_schema(run)
    return Result(result, 202, {"Location": result.status_url})


@operation(
    "/sync/<int:run_id>",
    "GET",
    summary="Get a sync run's status",
    tag="sync",
    response=schemas.SyncRun,
    admin_only=True,
    errors=(404,),
)
def get_sync_run(principal: Principal, run_id: int) -> schemas.SyncRun:
    return run_schema(load_or_404(SyncRun, principal, run_id, "sync run"))
