"""Sync: start a sync of the portal or of one university, and follow its run."""

from b24app.api import schemas
from b24app.api.auth import Principal, require_university_access
from b24app.api.operations import Result, operation
from b24app.api.problems import ApiError, not_found
from b24app.api.resources.common import external_url, load_or_404
from b24app.sync.fullsync import start_full_sync
from b24app.sync.models import SyncRun
from b24app.sync.university_sync import NotInCrm, start_university_sync


def run_schema(run: SyncRun) -> schemas.SyncRun:
    cursor = run.cursor or {}
    return schemas.SyncRun(
        id=run.id,
        kind=run.kind,
        scope=schemas.SyncScope(
            university_id=run.university_id, company_id=cursor.get("company_id")
        ),
        status=run.status,
        phase=run.current_entity,
        attempts=run.attempts,
        processed=run.processed,
        expected=run.expected,
        counts=dict(run.counts or {}),
        tombstoned=dict(cursor.get("tombstoned") or {}),
        rejected=dict(cursor.get("rejected") or {}),
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
        status_url=external_url("api.get_sync_run", run_id=run.id),
    )


@operation(
    "/sync",
    "POST",
    summary="Start a sync of the portal or of one university",
    tag="sync",
    body=schemas.SyncStart,
    response=schemas.SyncRun,
    status=202,
    errors=(404, 409),
)
def start_sync(principal: Principal, body: schemas.SyncStart) -> Result:
    """Start (or rejoin the unfinished) sync run from the CRM.

    With `university_id`, only that university's company, student contacts and
    application deals are read, and nothing outside them is changed or
    tombstoned. A request while the university's run is queued or running
    returns that run.
    """
    if body.university_id is None:
        if not principal.is_admin:
            raise ApiError(
                403,
                "Forbidden",
                "a sync of the whole portal needs a portal admin token; a "
                "university key sends its own university_id",
                "forbidden",
            )
        run = start_full_sync(principal.portal_id)
    else:
        run = start_one_university(principal, body.university_id)

    result = run_schema(run)
    return Result(result, 202, {"Location": result.status_url})


def start_one_university(principal: Principal, university_id: int) -> SyncRun:
    require_university_access(principal, university_id)
    try:
        return start_university_sync(principal.portal_id, university_id)
    except LookupError:
        raise not_found("university", university_id) from None
    except NotInCrm:
        raise ApiError(
            409,
            "Conflict",
            f"university {university_id} has no CRM company yet; sync it once "
            "its company is written (see its crm-status)",
            "not-in-crm",
        ) from None


@operation(
    "/sync/<int:run_id>",
    "GET",
    summary="Get a sync run's scope, progress and status",
    tag="sync",
    response=schemas.SyncRun,
    errors=(404,),
)
def get_sync_run(principal: Principal, run_id: int) -> schemas.SyncRun:
    """Return a run; a university key reads only its own university's runs."""
    run = load_or_404(SyncRun, principal, run_id, "sync run")
    if not principal.is_admin and run.university_id is None:
        raise ApiError(
            403, "Forbidden", "a full sync run needs a portal admin token", "forbidden"
        )
    require_university_access(principal, run.university_id)
    return run_schema(run)
