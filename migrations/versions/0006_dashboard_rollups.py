"""Keep dashboard rollups per portal and term

The new tables start empty and the existing summaries are marked counted and
not placed, which is only right for portals without summaries. Those are
marked built in `rollup_state`. The dashboard of any other portal computes
its figures from the summaries and queues one rebuild of its rollups, which
marks it built; `b24app analytics rebuild --portal ID` runs that rebuild at
once.

Revision ID: 0006_dashboard_rollups
Revises: 0005_reapply_after_withdrawal
Create Date: 2026-12-04 19:49:41.474271

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_dashboard_rollups"
down_revision = "0005_reapply_after_withdrawal"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "duration_bucket",
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("term_key", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
            name=op.f("fk_duration_bucket_portal_id_portal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "portal_id",
            "term_key",
            "measure",
            "bucket",
            name=op.f("pk_duration_bucket"),
        ),
    )
    op.create_table(
        "duration_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("term_key", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
            name=op.f("fk_duration_value_portal_id_portal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duration_value")),
    )
    with op.batch_alter_table("duration_value", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duration_value_application_id"),
            ["application_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_duration_value_rank",
            ["portal_id", "measure", "bucket", "seconds"],
            unique=False,
            postgresql_include=["term_key"],
        )

    op.create_table(
        "figure_count",
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("term_key", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
            name=op.f("fk_figure_count_portal_id_portal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "portal_id", "term_key", "dimension", "key", name=op.f("pk_figure_count")
        ),
    )
    op.create_table(
        "student_count",
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("term_key", sa.Integer(), nullable=False),
        sa.Column("university_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("applications", sa.Integer(), nullable=False),
        sa.Column("placed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
            name=op.f("fk_student_count_portal_id_portal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "portal_id",
            "term_key",
            "university_id",
            "student_id",
            name=op.f("pk_student_count"),
        ),
    )
    op.create_table(
        "university_count",
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("term_key", sa.Integer(), nullable=False),
        sa.Column("university_id", sa.Integer(), nullable=False),
        sa.Column("applications", sa.Integer(), nullable=False),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("placed_students", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
            name=op.f("fk_university_count_portal_id_portal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "portal_id", "term_key", "university_id", name=op.f("pk_university_count")
        ),
    )
    with op.batch_alter_table("application_summary", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("counted", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("placed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # The defaults only fill the existing rows; the model sets both columns.
    with op.batch_alter_table("application_summary", schema=None) as batch_op:
        batch_op.alter_column("counted", server_default=None)
        batch_op.alter_column("placed", server_default=None)

    op.create_table(
        "rollup_state",
        sa.Column("portal_id", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["portal_id"],
            ["portal.id"],
            name=op.f("fk_rollup_state_portal_id_portal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("portal_id", name=op.f("pk_rollup_state")),
    )
    mark_portals_without_summaries()


def mark_portals_without_summaries():
    """Mark built the portals whose empty rollups are right: those without summaries."""
    portal = sa.table("portal", sa.column("id"))
    summary = sa.table("application_summary", sa.column("portal_id"))
    state = sa.table("rollup_state", sa.column("portal_id"), sa.column("built_at"))
    has_summaries = sa.exists().where(summary.c.portal_id == portal.c.id)
    op.execute(
        state.insert().from_select(
            ["portal_id", "built_at"],
            sa.select(portal.c.id, sa.func.now()).where(~has_summaries),
        )
    )


def downgrade():
    op.drop_table("rollup_state")
    with op.batch_alter_table("application_summary", schema=None) as batch_op:
        batch_op.drop_column("placed")
        batch_op.drop_column("counted")

    op.drop_table("university_count")
    op.drop_table("student_count")
    op.drop_table("figure_count")
    with op.batch_alter_table("duration_value", schema=None) as batch_op:
        batch_op.drop_index("ix_duration_value_rank", postgresql_include=["term_key"])
        batch_op.drop_index(batch_op.f("ix_duration_value_application_id"))

    op.drop_table("duration_value")
    op.drop_table("duration_bucket")
