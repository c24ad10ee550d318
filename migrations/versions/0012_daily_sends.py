"""daily_sends: the daily cap per phone, counted so that two workers cannot both pass it (issue 11)

Revision ID: 0012
Revises: 0009

One row per address and local day: how many non-urgent messages were let through. Workers
lock the rows of a batch's addresses before letting messages through (notify/dispatch.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'daily_sends',
        sa.Column('address', sa.String(length=40), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('used', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('address', 'day', name=op.f('pk_daily_sends')),
    )


def downgrade():
    op.drop_table('daily_sends')
