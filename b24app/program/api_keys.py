"""API keys for universities and portal admins, stored only as SHA-256 digests.

A key reads `b24k_<prefix>_<secret>`: the prefix (8 hex characters) is stored in
clear to find the row and to tell keys apart in lists, and the secret is 32
random bytes. The full key is returned once, by `create_api_key`.
"""

import enum
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.program.models import University
from b24app.tenancy.models import PortalScoped, utcnow
from b24app.tenancy.scoping import get_scoped

log = logging.getLogger(__name__)

KEY_MARK = "b24k"
PREFIX_LENGTH = 8


class ApiKeyScope(enum.StrEnum):
    UNIVERSITY = "university"
    PORTAL = "portal"


class ApiKey(PortalScoped, db.Model):
    """One API key; a university key has `university_id`, a portal key has none."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20), default=ApiKeyScope.UNIVERSITY)
    university_id: Mapped[int | None] = mapped_column(
        ForeignKey("university.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(120), default="")
    prefix: Mapped[str] = mapped_column(String(PREFIX_LENGTH), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    def __repr__(self) -> str:
        return f"<ApiKey {self.id} {self.scope} {self.prefix}>"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass
class CreatedKey:
    """A new key row and the full key, which is never readable again."""

    key: ApiKey
    raw: str


def digest_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_key(
    portal_id: int, label: str = "", university_id: int | None = None
) -> CreatedKey:
    """Create a university key (with `university_id`) or a portal key, and commit.

    Raises LookupError when the university is not in this portal.
    """
    if university_id is not None:
        if get_scoped(University, portal_id, id=university_id) is None:
            raise LookupError(f"university {university_id} not found")
    scope = ApiKeyScope.UNIVERSITY if university_id else ApiKeyScope.PORTAL

    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    raw = f"{KEY_MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        portal_id=portal_id,
        scope=scope,
        university_id=university_id,
        label=label.strip()[:120],
        prefix=prefix,
        digest=digest_key(raw),
    )
    db.session.add(key)
    db.session.commit()

    log.info("portal %s: created %s API key %s", portal_id, scope, prefix)
    return CreatedKey(key, raw)


def revoke_api_key(portal_id: int, key_id: int) -> ApiKey:
    """Revoke a key of this portal and commit; revoking twice keeps the first time."""
    key = get_scoped(ApiKey, portal_id, id=key_id)
    if key is None:
        raise LookupError(f"API key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.commit()
        log.info("portal %s: revoked API key %s", portal_id, key.prefix)
    return key


def list_api_keys(portal_id: int, university_id: int | None = None) -> list[ApiKey]:
    """Return the portal's keys, newest first, or one university's keys only."""
    statement = select(ApiKey).where(ApiKey.portal_id == portal_id)
    if university_id is not None:
        statement = statement.where(ApiKey.university_id == university_id)
    return list(db.session.execute(statement.order_by(ApiKey.id.desc())).scalars())


def authenticate_api_key(raw: str | None) -> ApiKey | None:
    """Return the active key matching `raw` and stamp its last use, or None.

    Rows are found by prefix, then every candidate's digest is compared with
    hmac.compare_digest, so the time taken does not reveal how much matched.
    """
    prefix = _prefix_of(raw)
    if prefix is None:
        return None
    candidates = db.session.execute(
        select(ApiKey).where(ApiKey.prefix == prefix)
    ).scalars()

    expected = digest_key(raw)
    found = None
    for candidate in candidates:
        if hmac.compare_digest(candidate.digest, expected) and candidate.active:
            found = candidate
    if found is None:
        return None

    now = utcnow()
    db.session.execute(
        update(ApiKey).where(ApiKey.id == found.id).values(last_used_at=now)
    )
    db.session.commit()
    return found


def _prefix_of(raw: str | None) -> str | None:
    if not raw or len(raw) > 200:
        return None
    mark, _, rest = raw.partition("_")
    prefix, _, secret = rest.partition("_")
    if mark != KEY_MARK or len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix
