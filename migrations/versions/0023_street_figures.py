"""the street's figures: needs and wishes of a month per community (issue 14)

Revision ID: 0023
Revises: 0022

The street's pages count, for every community of a street at once, the needs raised and
answered and the wishes posted and fulfilled in a month: each count reads an index on
(community_id, the moment) instead of every need or wish the community ever had. Households
living here are counted from an index alone (building_id, moved_out_on), and those who moved
out are found by their own index (moved_out_on).
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

INDEXES = [
    ("household", "ix_household_building_moved_out", ["building_id", "moved_out_on"]),
    ("household", "ix_household_moved_out_on", ["moved_out_on"]),
    ("need", "ix_need_community_created", ["community_id", "created_at"]),
    ("need", "ix_need_community_answered", ["community_id", "answered_at"]),
    ("wish", "ix_wish_community_posted", ["community_id", "posted_at"]),
    ("wish", "ix_wish_community_fulfilled", ["community_id", "fulfilled_at"]),
]


def upgrade():
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade():
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
