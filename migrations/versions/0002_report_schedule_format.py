"""report schedule file format and last error

Revision ID: 0002_report_schedule_format
Revises: 0001_initial
Create Date: 2026-12-04 19:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002_report_schedule_format"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    # The server defaults fill the rows that exist; the models set both values.
    with op.batch_alter_table("report_schedule") as batch_op:
        batch_op.add_column(
            sa.Column(
                "file_format",
                sa.String(length=8),
                nullable=False,
                server_default="xlsx",
            )
        )
        batch_op.add_column(
            sa.Column("last_error", sa.Text(), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("report_schedule") as batch_op:
        batch_op.drop_column("last_error")
        batch_op.drop_column("file_format")
