"""The CRM layout of the program in one portal: pipelines, stages, fields."""

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import db
from b24app.tenancy.models import PortalScoped, TimestampMixin


class CrmMapping(PortalScoped, TimestampMixin, db.Model):
    """CRM ids the install step creates and the sync step reads, one row per portal.

    Stage maps go from our stage name ("new", "open", ...) to a CRM STAGE_ID such
    as "C5:NEW". `user_fields` maps a logical name ("student_number") to the
    UF_CRM_* field name.
    """

    __tablename__ = "crm_mapping"
    __table_args__ = (UniqueConstraint("portal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    internships_category_id: Mapped[int | None] = mapped_column(Integer)
    applications_category_id: Mapped[int | None] = mapped_column(Integer)
    internship_stage_ids: Mapped[dict] = mapped_column(JSON, default=dict)
    application_stage_ids: Mapped[dict] = mapped_column(JSON, default=dict)
    user_fields: Mapped[dict] = mapped_column(JSON, default=dict)
    university_company_type_id: Mapped[str | None] = mapped_column(String(50))
    employer_company_type_id: Mapped[str | None] = mapped_column(String(50))
    # Receives applications when no routing rule and no internship owner apply;
    # the install step stores the installing admin here.
    fallback_user_id: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<CrmMapping portal={self.portal_id}>"
