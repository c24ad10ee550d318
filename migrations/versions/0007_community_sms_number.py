"""community.sms_number: the number residents text a community at (issue 10)

Revision ID: 0007
Revises: 0006

An inbound text to a community's number belongs to that community, even from a stranger.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_number', sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_community_sms_number'), ['sms_number'])


def downgrade():
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_community_sms_number'), type_='unique')
        batch_op.drop_column('sms_number')
