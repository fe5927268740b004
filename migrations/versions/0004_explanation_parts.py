"""store routing explanations as parts

Revision ID: 0004_explanation_parts
Revises: 0003_university_sync
Create Date: 2026-12-04 20:00:00

Decisions stored before this revision keep `explanation_parts` empty, and pages
show their stored `explanation_text`, which is in the portal's language of the
routing moment.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_explanation_parts"
down_revision = "0003_university_sync"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "routing_decision",
        sa.Column("explanation_parts", sa.JSON(), nullable=True),
    )


def downgrade():
    op.drop_column("routing_decision", "explanation_parts")
