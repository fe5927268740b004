"""The portal (installation) record and the mixins every portal-owned table uses."""

import enum
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from b24app.extensions import AwareDateTime, db


def utcnow() -> datetime:
    return datetime.now(UTC)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        AwareDateTime(),
        default=utcnow,
        onupdate=utcnow,
        server_default=func.now(),
    )


class PortalScoped:
    """Marks a table as portal data: every row belongs to exactly one portal.

    Load rows through `b24app.tenancy.scoping`, which always filters by portal.
    """

    @declared_attr
    def portal_id(cls) -> Mapped[int]:
        return mapped_column(
            Integer, ForeignKey("portal.id", ondelete="CASCADE"), index=True
        )


class PortalState(enum.StrEnum):
    ACTIVE = "active"
    NEEDS_REAUTH = "needs_reauth"
    UNINSTALLED = "uninstalled"
    SUSPENDED = "suspended"


class Portal(TimestampMixin, db.Model):
    """One installation of the app in one Bitrix24 portal, keyed by `member_id`."""

    __tablename__ = "portal"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), unique=True)
    domain: Mapped[str] = mapped_column(String(255))
    client_endpoint: Mapped[str] = mapped_column(String(512))
    server_endpoint: Mapped[str] = mapped_column(String(512))
    scopes: Mapped[str] = mapped_column(String(1000), default="")
    plan_status: Mapped[str] = mapped_column(String(8), default="")
    lang: Mapped[str] = mapped_column(String(8), default="ru")
    app_version: Mapped[str] = mapped_column(String(32), default="")
    state: Mapped[str] = mapped_column(String(20), default=PortalState.ACTIVE)
    state_reason: Mapped[str] = mapped_column(String(200), default="")

    # Secrets: the application token is kept only as a digest, OAuth tokens only
    # encrypted (see tenancy.crypto); none of them is readable with plain SQL.
    application_token_digest: Mapped[str | None] = mapped_column(String(64))
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    token_key_id: Mapped[str | None] = mapped_column(String(16))
    token_expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    token_version: Mapped[int] = mapped_column(Integer, default=0)

    installed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    uninstalled_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    def __repr__(self) -> str:
        return f"<Portal {self.id} {self.domain} {self.state}>"

    @property
    def is_active(self) -> bool:
        return self.state == PortalState.ACTIVE

    def forget_tokens(self) -> None:
        self.access_token_encrypted = None
        self.refresh_token_encrypted = None
        self.token_expires_at = None
        self.token_key_id = None
        self.token_version += 1
