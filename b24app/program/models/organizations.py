"""Mirrors of CRM companies: universities and employers."""

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import db
from b24app.tenancy.models import PortalScoped, TimestampMixin


class University(PortalScoped, TimestampMixin, db.Model):
    """A CRM company of the "University" type; `bitrix_id` is empty until written."""

    __tablename__ = "university"
    __table_args__ = (UniqueConstraint("portal_id", "bitrix_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bitrix_id: Mapped[int | None] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    city: Mapped[str] = mapped_column(String(120), default="")
    # Lowercased e-mail domains ("student.example.edu") that identify its students.
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    def __repr__(self) -> str:
        return f"<University {self.id} {self.name!r} portal={self.portal_id}>"


class Employer(PortalScoped, TimestampMixin, db.Model):
    """A CRM company that hosts internships."""

    __tablename__ = "employer"
    __table_args__ = (UniqueConstraint("portal_id", "bitrix_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bitrix_id: Mapped[int | None] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    industry: Mapped[str] = mapped_column(String(120), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    def __repr__(self) -> str:
        return f"<Employer {self.id} {self.name!r} portal={self.portal_id}>"
