"""Load the portal's CRM mapping as the plain rules the record mapping uses."""

from b24app.extensions import db
from b24app.program.models import CrmMapping
from b24app.sync.mapping import MappingRules
from b24app.tenancy.scoping import scoped


def load_rules(portal_id: int) -> MappingRules:
    """Return the mapping rules of a portal; empty rules before the install step ran.

    With empty rules companies still become employers and contacts students,
    while every deal is ignored, because no pipeline is known yet.
    """
    mapping = db.session.execute(scoped(CrmMapping, portal_id)).scalar_one_or_none()
    return MappingRules.from_mapping(mapping)
