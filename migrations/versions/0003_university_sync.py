"""sync runs scoped to one university

Revision ID: 0003_university_sync
Revises: 0002_report_schedule_format
Create Date: 2026-12-04 19:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003_university_sync"
down_revision = "0002_report_schedule_format"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("university_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sync_run_university_id"), ["university_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sync_run_university_id_university"),
            "university",
            ["university_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("sync_run", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_sync_run_university_id_university"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_sync_run_university_id"))
        batch_op.drop_column("university_id")
