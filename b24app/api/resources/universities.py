"""Universities: list and read the mirror, and create new ones in the CRM."""

import logging

from sqlalchemy import func

from b24app.api import schemas
from b24app.api.auth import Principal
from b24app.api.operations import Result, operation
from b24app.api.resources.common import (
    external_url,
    list_page,
    load_or_404,
    queue_delivery,
)
from b24app.extensions import db
from b24app.program.models import CrmMapping, CrmOutbox, University
from b24app.program.services.outbox import add_outbox
from b24app.sync.outbound import CREATE_UNIVERSITY_COMPANY
from b24app.tenancy.scoping import scoped

log = logging.getLogger(__name__)

SORTABLE = {
    "id": University.id,
    "name": University.name,
    "created_at": University.created_at,
    "updated_at": University.updated_at,
}


@operation(
    "/universities",
    "GET",
    summary="List universities",
    tag="universities",
    query=schemas.UniversityQuery,
    response=schemas.UniversityPage,
)
def list_universities(
    principal: Principal, query: schemas.UniversityQuery
) -> schemas.UniversityPage:
    statement = scoped(University, principal.portal_id).where(
        University.deleted.is_(False)
    )
    if query.name:
        statement = statement.where(
            University.name.icontains(query.name, autoescape=True)
        )
    if query.city:
        statement = statement.where(func.lower(University.city) == query.city.lower())
    return list_page(
        statement, query, SORTABLE, "id", schemas.UniversityPage, schemas.University
    )


@operation(
    "/universities/<int:university_id>",
    "GET",
    summary="Get a university",
    tag="universities",
    response=schemas.University,
    errors=(404,),
)
def get_university(principal: Principal, university_id: int) -> schemas.University:
    university = load_or_404(University, principal, university_id, "university")
    return schemas.University.model_validate(university)


@operation(
    "/universities",
    "POST",
    summary="Create a university",
    tag="universities",
    body=schemas.UniversityCreate,
    response=schemas.UniversityCreated,
    status=202,
    admin_only=True,
)
def create_university(principal: Principal, body: schemas.UniversityCreate) -> Result:
    """Store the university and queue its CRM company of the University type.

    The company is written by the CRM outbox delivery; `status_url` shows
    whether it has been written, and `bitrix_id` fills in once it has.
    """
    university = University(
        portal_id=principal.portal_id,
        name=body.name.strip(),
        city=body.city.strip(),
        domains=sorted({domain.lower() for domain in body.domains}),
    )
    db.session.add(university)
    db.session.flush()

    mapping = db.session.execute(
        scoped(CrmMapping, principal.portal_id)
    ).scalar_one_or_none()
    add_outbox(
        principal.portal_id,
        CREATE_UNIVERSITY_COMPANY,
        "university",
        university.id,
        {
            "university_id": university.id,
            "company_type_id": mapping.university_company_type_id if mapping else None,
        },
    )
    db.session.commit()
    log.info(
        "portal %s: university %s created through the API",
        principal.portal_id,
        university.id,
    )
    queue_delivery(principal.portal_id)

    status_url = external_url(
        "api.get_university_crm_status", university_id=university.id
    )
    created = schemas.UniversityCreated(
        university=schemas.University.model_validate(university),
        crm_status="pending",
        status_url=status_url,
    )
    return Result(created, 202, {"Location": status_url})


@operation(
    "/universities/<int:university_id>/crm-status",
    "GET",
    summary="Get whether a university is written to the CRM",
    tag="universities",
    response=schemas.CrmWriteStatus,
    errors=(404,),
)
def get_university_crm_status(
    principal: Principal, university_id: int
) -> schemas.CrmWriteStatus:
    university = load_or_404(University, principal, university_id, "university")
    intent = db.session.execute(
        scoped(CrmOutbox, principal.portal_id)
        .where(
            CrmOutbox.entity_type == "university",
            CrmOutbox.entity_id == university.id,
            CrmOutbox.kind == CREATE_UNIVERSITY_COMPANY,
        )
        .order_by(CrmOutbox.id.desc())
        .limit(1)
    ).scalar_one_or_none()

    if university.bitrix_id is not None:
        status = "sent"
    elif intent is None:
        status = "not_queued"
    else:
        status = intent.status
    return schemas.CrmWriteStatus(
        university_id=university.id,
        bitrix_id=university.bitrix_id,
        status=status,
        attempts=intent.attempts if intent else 0,
        last_error=intent.last_error if intent else "",
    )
