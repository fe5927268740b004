"""Routing rules, their round-robin cursors, recruiters and stored decisions."""

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from b24app.extensions import AwareDateTime, db
from b24app.tenancy.models import PortalScoped, TimestampMixin, utcnow


class RoutingStrategy(enum.StrEnum):
    FIXED = "fixed"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


class RoutingRule(PortalScoped, TimestampMixin, db.Model):
    """One assignment rule; rules are tried by `position`, the default rule last.

    `conditions` keys, each optional and all of them required to match:
    university_ids, employer_ids, internship_ids (lists of ids), pipelines and
    sources (lists of strings), skills_any (canonical skill names), score_min and
    score_max (inclusive, 0..1).
    """

    __tablename__ = "routing_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0, index=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    conditions: Mapped[dict] = mapped_column(JSON, default=dict)
    strategy: Mapped[str] = mapped_column(String(20), default=RoutingStrategy.FIXED)
    user_pool: Mapped[list[int]] = mapped_column(JSON, default=list)
    fixed_user_id: Mapped[int | None] = mapped_column(Integer)
    routed_count: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<RoutingRule {self.id} #{self.position} {self.name!r}>"


class RoutingCursor(PortalScoped, db.Model):
    """The round-robin position of one rule, locked with SELECT ... FOR UPDATE."""

    __tablename__ = "routing_cursor"
    __table_args__ = (UniqueConstraint("rule_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("routing_rule.id", ondelete="CASCADE")
    )
    # Index into the rule's user pool of the user who was assigned last; -1 = none.
    last_index: Mapped[int] = mapped_column(Integer, default=-1)

    def __repr__(self) -> str:
        return f"<RoutingCursor rule={self.rule_id} last={self.last_index}>"


class Recruiter(PortalScoped, TimestampMixin, db.Model):
    """A Bitrix24 user who can receive applications.

    A user with no row here counts as active, so only rows with `active` off
    keep a user out of routing.
    """

    __tablename__ = "recruiter"
    __table_args__ = (UniqueConstraint("portal_id", "bitrix_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bitrix_user_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<Recruiter {self.bitrix_user_id} {self.name!r} active={self.active}>"


class RoutingDecision(PortalScoped, db.Model):
    """The outcome of one routing run with every input it used, for replay.

    `inputs` is the serialized `RoutingInputs`; `outcome` is the serialized
    `Decision` (reason code, internship, rule, assignee, score parts, alternatives).
    `explanation_parts` is the output of `routing.explain.explanation_parts`.
    """

    __tablename__ = "routing_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        AwareDateTime(), default=utcnow, index=True
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"), index=True
    )
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("routing_rule.id", ondelete="SET NULL"), index=True
    )
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee_user_id: Mapped[int | None] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(String(40), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)
    # The timeline text, in the portal's language at routing time.
    explanation_text: Mapped[str] = mapped_column(String(4000), default="")
    # The same explanation as codes and values, shown in the reader's language;
    # None on decisions stored before parts existed.
    explanation_parts: Mapped[list | None] = mapped_column(JSON, nullable=True)

    def __repr__(self) -> str:
        return (
            f"<RoutingDecision {self.id} {self.reason_code} -> {self.assignee_user_id}>"
        )
