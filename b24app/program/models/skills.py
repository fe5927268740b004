"""The portal's skill vocabulary, added to the built-in one in program.skills."""

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import db
from b24app.tenancy.models import PortalScoped, TimestampMixin


class Skill(PortalScoped, TimestampMixin, db.Model):
    """A canonical skill name with its aliases, all stored lowercased."""

    __tablename__ = "skill"
    __table_args__ = (UniqueConstraint("portal_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)

    def __repr__(self) -> str:
        return f"<Skill {self.id} {self.name!r} portal={self.portal_id}>"
