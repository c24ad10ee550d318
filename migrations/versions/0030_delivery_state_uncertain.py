"""delivery (community_id, state, uncertain): the outbox's counts from the index alone

Revision ID: 0030
Revises: 0029

The outbox counts a community's deliveries by state, and those that may have arrived twice,
on every request. The second count read every delivery row of the community (the
`uncertain` flag was in no index). With the flag beside the state, both counts are one
grouped query over the index entries, no row fetched.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

NAME = "ix_delivery_community_state"


def upgrade():
    op.drop_index(NAME, table_name="delivery")
    op.create_index(NAME, "delivery", ["community_id", "state", "uncertain"])


def downgrade():
    op.drop_index(NAME, table_name="delivery")
    op.create_index(NAME, "delivery", ["community_id", "state"])
