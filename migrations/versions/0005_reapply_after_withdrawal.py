"""let a student apply again after withdrawing

Revision ID: 0005_reapply_after_withdrawal
Revises: 0004_explanation_parts
Create Date: 2026-12-04 20:50:00

The unique constraint on (portal, internship, student) becomes a partial unique
index over rows that are not withdrawn.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_reapply_after_withdrawal"
down_revision = "0004_explanation_parts"
branch_labels = None
depends_on = None

CONDITION = sa.text("stage <> 'withdrawn'")
COLUMNS = ["portal_id", "internship_id", "student_id"]


def upgrade():
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_constraint(
            "uq_application_portal_id_internship_id_student_id", type_="unique"
        )
        batch_op.create_index(
            "uq_application_open_pair",
            COLUMNS,
            unique=True,
            postgresql_where=CONDITION,
            sqlite_where=CONDITION,
        )


def downgrade():
    # NOTE: fails while a student has a withdrawn and a newer application to
    # the same internship; delete one of them first.
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index("uq_application_open_pair")
        batch_op.create_unique_constraint(
            "uq_application_portal_id_internship_id_student_id", COLUMNS
        )
