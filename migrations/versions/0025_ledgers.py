"""ledgers (台账): indexes for a period's visits and work orders of a community (issue 14)

Revision ID: 0025
Revises: 0024

A quarter's ledger lists a community's visits by day and its work orders by the day they were
dispatched; without these each was a scan of the community's whole history.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_visit_community_visited_on", "visit", ["community_id", "visited_on"], unique=False
    )
    op.create_index(
        "ix_work_order_community_created", "work_order", ["community_id", "created_at"], unique=False
    )


def downgrade():
    op.drop_index("ix_work_order_community_created", table_name="work_order")
    op.drop_index("ix_visit_community_visited_on", table_name="visit")
